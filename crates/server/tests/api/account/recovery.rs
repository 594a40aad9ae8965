//! Mailed links: a password reset ends every session and answers alike for unknown accounts, an
//! address is verified from its link, and a self-registered account works only once activated.

use super::*;

async fn a_password_reset_from_the_mailed_link_ends_every_session(backend: Backend) {
    let (sink, _receiver, app) = start_mailing(backend).await;
    let mut laptop = Browser::new();
    account_sign_in(&mut laptop, &app, "bob", "bob's long password 1").await;

    let mut phone = Browser::new();
    let forgot = format!("{}/account/forgot", app.address);
    assert_eq!(phone.get(&forgot).await.status, StatusCode::OK);
    let blank = phone.post(&forgot, &[("identifier", "  ")]).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST, "{}", blank.body);
    let known = phone
        .post(&forgot, &[("identifier", "Bob@Example.com")])
        .await;
    let unknown = phone
        .post(&forgot, &[("identifier", "nobody@example.com")])
        .await;
    assert_eq!(
        (known.status, without_nonce(&known)),
        (unknown.status, without_nonce(&unknown)),
        "no enumeration"
    );

    let (mail, link) = mailed_link(&sink, &app, "bob@example.com", "reset").await;
    assert!(
        mail.html.contains(&link),
        "the HTML part carries the link too"
    );
    assert_eq!(phone.get(&link).await.status, StatusCode::OK);
    let weak = phone.post(&link, &[("new_password", "password1")]).await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.body.contains("too common"), "{}", weak.body);
    let done = phone
        .post(&link, &[("new_password", "a brand new passphrase")])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let reused = phone
        .post(&link, &[("new_password", "another new passphrase")])
        .await;
    assert!(reused.body.contains("no longer valid"), "a link works once");

    let laptop_again = laptop.get(&format!("{}/account", app.address)).await;
    assert_eq!(
        laptop_again.status,
        StatusCode::SEE_OTHER,
        "the laptop's session ended"
    );
    assert!(
        laptop_again
            .location
            .is_some_and(|l| l.contains("/authorize?"))
    );
    let notice = sink
        .wait_for("bob@example.com", Duration::from_secs(20))
        .await;
    assert!(notice.is_some_and(|m| m.subject.to_lowercase().contains("password")));
    account_sign_in(&mut Browser::new(), &app, "bob", "a brand new passphrase").await;
}

fn pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Every verification mail a user asks for counts like a reset request: an account cannot be used
/// to flood someone's inbox.
async fn verification_mails_are_throttled_per_address(backend: Backend) {
    let (_sink, _receiver, app) = start_mailing(backend).await;
    let mut browser = Browser::new();
    let page = account_sign_in(&mut browser, &app, "bob", "bob's long password 1").await;
    let url = format!("{}/account/profile", app.address);
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let form = [
            ("csrf", page.field("csrf")),
            ("name", String::new()),
            ("given_name", "Bob".to_owned()),
            ("family_name", String::new()),
            ("email", "victim@elsewhere.example".to_owned()),
            ("locale", String::new()),
            ("zoneinfo", String::new()),
            ("current_password", "bob's long password 1".to_owned()),
        ];
        statuses.push(browser.post(&url, &pairs(&form)).await.status);
    }
    assert_eq!(
        statuses[..6],
        [StatusCode::SEE_OTHER; 6],
        "five free, the sixth blocks what follows"
    );
    assert_eq!(statuses[6], StatusCode::TOO_MANY_REQUESTS);
}

async fn an_email_address_is_verified_from_its_link(backend: Backend) {
    let (sink, _receiver, app) = start_mailing(backend).await;
    let mut browser = Browser::new();
    let page = account_sign_in(&mut browser, &app, "bob", "bob's long password 1").await;
    assert!(page.body.contains("Your email address is verified."));
    assert!(
        page.body
            .contains("<input id=\"profile_password\" type=\"password\""),
        "the profile form asks for the password a new address needs"
    );
    let mut form = vec![
        ("csrf", page.field("csrf")),
        ("name", "Bob Builder".to_owned()),
        ("given_name", "Bob".to_owned()),
        ("family_name", String::new()),
        ("email", "bob@new.example".to_owned()),
        ("locale", "en".to_owned()),
        ("zoneinfo", String::new()),
        ("current_password", "not bob's password".to_owned()),
    ];
    let url = format!("{}/account/profile", app.address);
    let wrong = browser.post(&url, &pairs(&form)).await;
    assert_eq!(
        wrong.status,
        StatusCode::UNAUTHORIZED,
        "a new address needs the password"
    );
    form[7].1 = String::new();
    let empty = browser.post(&url, &pairs(&form)).await;
    assert_eq!(
        empty.status,
        StatusCode::BAD_REQUEST,
        "asked for, not counted"
    );
    assert!(empty.body.contains("Enter your current password."));
    form[7].1 = "bob's long password 1".to_owned();
    let saved = browser.post(&url, &pairs(&form)).await;
    assert!(
        saved
            .location
            .as_deref()
            .is_some_and(|l| l.ends_with("done=email-pending")),
        "{:?} {}",
        saved.location,
        saved.body
    );
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(
        page.body.contains("value=\"bob@example.com\""),
        "the current address stays until the new one is confirmed"
    );

    let (mail, link) = mailed_link(&sink, &app, "bob@new.example", "verify").await;
    assert!(
        mail.text.contains("\u{201c}bob\u{201d}"),
        "the mail names the account the address would join: {}",
        mail.text
    );
    let confirm = Browser::new().get(&link).await;
    assert!(
        confirm.body.contains("bob@new.example")
            && confirm
                .body
                .contains("<strong id=\"verify-account\">bob</strong>"),
        "a GET only shows the confirmation, naming the account"
    );
    let mut alice = Browser::new();
    account_sign_in(&mut alice, &app, "alice", ALICE_PASSWORD).await;
    for foreign in [alice.get(&link).await, alice.post(&link, &[]).await] {
        assert_eq!(
            foreign.status,
            StatusCode::FORBIDDEN,
            "a browser signed in to another account is refused: {}",
            foreign.body
        );
    }
    let done = Browser::new().post(&link, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(
        page.body.contains("value=\"bob@new.example\""),
        "the new address replaced the old"
    );
    assert!(page.body.contains("Your email address is verified."));
    assert!(
        Browser::new()
            .post(&link, &[])
            .await
            .body
            .contains("no longer valid")
    );

    // An address another account uses gets the same answer as a free one, and no mail: its
    // link could not verify it anyway, and a mail would tell its owner that someone tried.
    let page = alice.get(&format!("{}/account", app.address)).await;
    form[0].1 = page.field("csrf");
    form[1].1 = "Alice".to_owned();
    form[7].1 = ALICE_PASSWORD.to_owned();
    let mut answers = Vec::new();
    for address in ["bob@new.example", "alice@new.example"] {
        form[4].1 = address.to_owned();
        answers.push(alice.post(&url, &pairs(&form)).await.location);
    }
    assert_eq!(answers[0], answers[1], "{answers:?}");
    mailed_link(&sink, &app, "alice@new.example", "verify").await;
    let to_bob = sink
        .messages()
        .iter()
        .filter(|m| m.to.iter().any(|to| to == "bob@new.example"))
        .count();
    assert_eq!(to_bob, 1, "only the verification bob asked for");
}

async fn a_self_registered_account_works_only_once_its_address_is_verified(backend: Backend) {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let closed = start(backend, &sink, &receiver).await;
    let off = Browser::new()
        .get(&format!("{}/account/register", closed.address))
        .await;
    assert_eq!(off.status, StatusCode::NOT_FOUND, "off by default");

    let app = start_with(backend, &sink, &receiver, &["--self-registration"]).await;
    let register = format!("{}/account/register", app.address);
    let mut browser = Browser::new();
    assert_eq!(browser.get(&register).await.status, StatusCode::OK);
    let form = |email: &'static str| [("email", email)];
    let invalid = browser.post(&register, &form("not an address")).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    let done = browser.post(&register, &form("Carol@Example.com")).await;
    let reused = browser.post(&register, &form("BOB@example.com")).await;
    assert_eq!(
        (
            done.status,
            without_nonce(&done).replace("Carol@Example.com", "X")
        ),
        (
            reused.status,
            without_nonce(&reused).replace("BOB@example.com", "X")
        ),
        "an address in use gets the same answer"
    );

    // Before activation the account cannot sign in.
    let mut early = Browser::new();
    let to_authorize = early.get(&format!("{}/account", app.address)).await;
    let (_, refused) = early
        .sign_in(
            &to_authorize.location.unwrap_or_default(),
            "carol@example.com",
            "a fine passphrase",
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let (mail, link) = mailed_link(&sink, &app, "carol@example.com", "activate").await;
    assert!(
        mail.subject.contains("Activate your new") && mail.text.contains("was just created"),
        "the mail says an account was created, not just that an address needs confirming: {}",
        mail.text
    );
    assert!(
        Browser::new()
            .get(&link)
            .await
            .body
            .contains("carol@example.com")
    );
    let weak = Browser::new()
        .post(&link, &[("new_password", "12345678")])
        .await;
    assert_eq!(
        weak.status,
        StatusCode::BAD_REQUEST,
        "the password chosen behind the link is checked like any new one"
    );
    let active = Browser::new()
        .post(&link, &[("new_password", "a fine passphrase")])
        .await;
    assert_eq!(active.status, StatusCode::OK, "{}", active.body);
    let page = account_sign_in(
        &mut Browser::new(),
        &app,
        "carol@example.com",
        "a fine passphrase",
    )
    .await;
    assert!(page.body.contains("Your email address is verified."));
    assert!(
        sink.messages().iter().all(|m| !m.is_for("bob@example.com")),
        "nothing sent for a used address"
    );
    assert!(
        Browser::new()
            .post(&link, &[("new_password", "another passphrase")])
            .await
            .body
            .contains("no longer valid")
    );
}

crate::on_both_backends!(
    a_password_reset_from_the_mailed_link_ends_every_session,
    an_email_address_is_verified_from_its_link,
    verification_mails_are_throttled_per_address,
    a_self_registered_account_works_only_once_its_address_is_verified,
);
