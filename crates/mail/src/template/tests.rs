use super::*;

const LINK: &str = "https://valet.test/verify?token=a1b2&next=/x";

fn verify(name: &str) -> Mail {
    let template = Template::VerifyEmail {
        name,
        account: "alice",
        link: LINK,
        valid_minutes: 30,
    };
    render(&template, Locale::En, "Valet", "alice@example.test")
}

fn all(name: &'static str) -> [Template<'static>; 7] {
    [
        Template::VerifyEmail {
            name,
            account: "alice",
            link: LINK,
            valid_minutes: 30,
        },
        Template::ResetPassword {
            name,
            link: LINK,
            valid_minutes: 60,
        },
        Template::PasswordChanged { name },
        Template::ActivateAccount {
            name,
            link: LINK,
            valid_minutes: 1440,
        },
        Template::MfaReset { name },
        Template::MfaRemoved { name },
        Template::RecoveryCodesRenewed { name },
    ]
}

#[test]
fn the_text_part_has_the_link_verbatim_on_its_own_line() {
    let mail = verify("Alice");
    assert!(mail.text.lines().any(|line| line == LINK), "{}", mail.text);
    assert!(mail.text.starts_with("Hello Alice,\n"));
    assert!(mail.text.contains("valid for 30 minutes"));
}

#[test]
fn the_html_part_escapes_the_link_and_links_to_it() {
    let mail = verify("Alice");
    let escaped = "https://valet.test/verify?token=a1b2&amp;next=/x";
    assert!(mail.html.contains(&format!("href=\"{escaped}\"")));
    assert!(!mail.html.contains("token=a1b2&next"));
}

#[test]
fn every_inserted_value_is_escaped_in_html() {
    let hostile = "<script>alert('x')</script> & \"Bob\"";
    for template in all("<script>alert('x')</script> & \"Bob\"") {
        let mail = render(&template, Locale::En, "<b>Acme</b>", "bob@example.test");
        assert!(!mail.html.contains("<script>"), "{template:?}");
        assert!(!mail.html.contains("<b>Acme"), "{template:?}");
        assert!(
            mail.html
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Bob&quot;")
        );
        assert!(
            mail.text.contains(hostile),
            "text is not HTML and stays as written"
        );
    }
}

#[test]
fn every_notice_says_what_to_do_if_the_user_did_not_ask() {
    for template in all("Ada") {
        let mail = render(&template, Locale::En, "Valet", "ada@example.test");
        assert!(mail.text.contains("If you did not"), "{template:?}");
        assert!(mail.html.contains("If you did not"), "{template:?}");
        assert!(mail.subject.contains("Valet"), "{template:?}");
        assert_eq!(mail.to, "ada@example.test");
    }
}

#[test]
fn notices_without_a_link_have_no_button() {
    let mail = render(
        &Template::PasswordChanged { name: "Ada" },
        Locale::En,
        "Valet",
        "ada@x.test",
    );
    assert!(!mail.html.contains("<a "));
    assert!(!mail.text.contains("https://"));
}

#[test]
fn a_line_break_in_a_name_or_brand_cannot_add_lines() {
    let template = Template::MfaReset {
        name: "Eve\n\nhttps://evil.test\n",
    };
    let mail = render(
        &template,
        Locale::En,
        "Valet\r\nBcc: x@evil.test",
        "eve@x.test",
    );
    assert!(mail.text.starts_with("Hello Eve  https://evil.test,\n"));
    assert!(!mail.subject.contains(['\r', '\n']));
}

#[test]
fn an_empty_name_gives_a_plain_greeting() {
    assert!(verify("").text.starts_with("Hello,\n"));
}

#[test]
fn debug_of_a_template_hides_its_link() {
    let template = Template::ResetPassword {
        name: "Ada",
        link: LINK,
        valid_minutes: 5,
    };
    assert_eq!(format!("{template:?}"), "ResetPassword");
}

#[test]
fn the_html_page_declares_its_language_and_title() {
    let mail = verify("Alice");
    assert!(mail.html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(
        mail.html
            .contains(&format!("<title>{}</title>", mail.subject))
    );
}

#[test]
fn a_verification_mail_names_the_account_the_address_would_join() {
    let mail = verify("Alice");
    assert!(mail.text.contains("\u{201c}alice\u{201d}"), "{}", mail.text);
    assert!(mail.html.contains("\u{201c}alice\u{201d}"), "{}", mail.html);
}
