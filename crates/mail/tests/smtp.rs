//! Mail sent through a real SMTP server (the test sink) arrives as a multipart/alternative
//! message (RFC 5321, RFC 5322, RFC 2045); credentials are checked (RFC 4954) and a required
//! STARTTLS that the server does not offer (RFC 3207) stops the send.

use std::error::Error;
use std::time::Duration;

use valet_mail::{Locale, Mail, MailError, Template, Transport, render};
use valet_mail_sink::{AuthMechanism, MailSink};

type TestResult = Result<(), Box<dyn Error>>;

const FROM: &str = "Valet <no-reply@valet.test>";
const WAIT: Duration = Duration::from_secs(5);
/// Long enough to be wrapped by quoted-printable, with characters that need escaping in HTML.
const LINK: &str = "https://id.valet.test/verify-email?token=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4&lang=en";

fn verify_mail(to: &str) -> Mail {
    let template = Template::VerifyEmail {
        name: "Alice",
        account: "alice",
        link: LINK,
        valid_minutes: 60,
    };
    render(&template, Locale::En, "Valet", to)
}

/// The sink's URL with credentials inserted, percent-encoded as an operator would write them.
fn url_with_credentials(sink: &MailSink, encoded_user: &str, encoded_password: &str) -> String {
    format!(
        "smtp://{encoded_user}:{encoded_password}@{}?tls=none",
        sink.addr()
    )
}

#[tokio::test]
async fn a_rendered_mail_arrives_with_subject_recipient_and_both_parts() -> TestResult {
    let sink = MailSink::start().await?;
    let transport = Transport::from_url(&sink.url(), FROM)?;
    transport.send(&verify_mail("alice@example.test")).await?;

    let received = sink
        .wait_for("alice@example.test", WAIT)
        .await
        .ok_or("no mail arrived")?;
    assert_eq!(received.from, "no-reply@valet.test");
    assert_eq!(received.to, ["alice@example.test"]);
    assert_eq!(received.subject, "Confirm your email address for Valet");
    assert!(
        received
            .raw
            .contains("From: Valet <no-reply@valet.test>\r\n")
    );
    assert!(received.raw.contains("multipart/alternative"));
    assert!(
        received.text.lines().any(|line| line == LINK),
        "{}",
        received.text
    );
    assert_eq!(
        received.first_link("https://id.valet.test/").as_deref(),
        Some(LINK)
    );
    assert!(
        received
            .html
            .contains(&format!("href=\"{}\"", LINK.replace('&', "&amp;")))
    );
    assert!(received.html.contains("Hello Alice,"));
    Ok(())
}

#[tokio::test]
async fn one_transport_sends_one_message_after_another() -> TestResult {
    let sink = MailSink::start().await?;
    let transport = Transport::from_url(&sink.url(), FROM)?;
    let templates = [
        Template::ResetPassword {
            name: "Bob",
            link: LINK,
            valid_minutes: 30,
        },
        Template::PasswordChanged { name: "Bob" },
        Template::MfaReset { name: "Bob" },
    ];
    for template in &templates {
        transport
            .send(&render(template, Locale::En, "Valet", "bob@example.test"))
            .await?;
    }
    let mut subjects = Vec::new();
    while let Some(received) = sink
        .wait_for("bob@example.test", Duration::from_millis(500))
        .await
    {
        subjects.push(received.subject);
    }
    assert_eq!(
        subjects,
        [
            "Reset your Valet password",
            "Your Valet password was changed",
            "Two-step verification was reset for your Valet account",
        ]
    );
    Ok(())
}

#[tokio::test]
async fn auth_plain_sends_the_percent_decoded_credentials() -> TestResult {
    let sink = MailSink::with_auth("mailer@valet.test", "p@ss:w/rd ✓")
        .start()
        .await?;
    let url = url_with_credentials(&sink, "mailer%40valet.test", "p%40ss%3Aw%2Frd%20%E2%9C%93");
    Transport::from_url(&url, FROM)?
        .send(&verify_mail("carol@example.test"))
        .await?;
    assert!(sink.wait_for("carol@example.test", WAIT).await.is_some());
    Ok(())
}

#[tokio::test]
async fn auth_login_is_used_when_the_server_offers_only_login() -> TestResult {
    let sink = MailSink::with_auth("mailer", "secret")
        .mechanisms(&[AuthMechanism::Login])
        .start()
        .await?;
    let url = url_with_credentials(&sink, "mailer", "secret");
    Transport::from_url(&url, FROM)?
        .send(&verify_mail("dave@example.test"))
        .await?;
    assert!(sink.wait_for("dave@example.test", WAIT).await.is_some());
    Ok(())
}

#[tokio::test]
async fn a_wrong_password_fails_permanently_and_delivers_nothing() -> TestResult {
    let sink = MailSink::with_auth("mailer", "secret").start().await?;
    let url = url_with_credentials(&sink, "mailer", "guess");
    let result = Transport::from_url(&url, FROM)?
        .send(&verify_mail("erin@example.test"))
        .await;
    assert!(
        matches!(&result, Err(error @ MailError::Smtp(_)) if error.is_permanent()),
        "{result:?}"
    );
    assert!(sink.messages().is_empty());
    Ok(())
}

#[tokio::test]
async fn no_credentials_where_the_server_requires_them_fails_permanently() -> TestResult {
    let sink = MailSink::with_auth("mailer", "secret").start().await?;
    let result = Transport::from_url(&sink.url(), FROM)?
        .send(&verify_mail("frank@example.test"))
        .await;
    assert!(
        result.as_ref().is_err_and(MailError::is_permanent),
        "{result:?}"
    );
    assert!(sink.messages().is_empty());
    Ok(())
}

#[tokio::test]
async fn required_starttls_refuses_a_server_that_does_not_offer_it() -> TestResult {
    let sink = MailSink::start().await?;
    let transport = Transport::from_url(&format!("smtp://{}", sink.addr()), FROM)?;
    assert!(transport.describe().ends_with("(STARTTLS)"));
    let result = transport.send(&verify_mail("grace@example.test")).await;
    assert!(matches!(result, Err(MailError::Smtp(_))), "{result:?}");
    assert!(
        sink.messages().is_empty(),
        "nothing may travel in plain text"
    );
    Ok(())
}

#[tokio::test]
async fn opportunistic_tls_sends_in_plain_text_when_starttls_is_not_offered() -> TestResult {
    let sink = MailSink::start().await?;
    let transport =
        Transport::from_url(&format!("smtp://{}?tls=opportunistic", sink.addr()), FROM)?;
    transport.send(&verify_mail("heidi@example.test")).await?;
    assert!(sink.wait_for("heidi@example.test", WAIT).await.is_some());
    Ok(())
}

#[tokio::test]
async fn an_unreachable_server_is_a_transient_failure() -> TestResult {
    let sink = MailSink::start().await?;
    let url = sink.url();
    drop(sink);
    let result = Transport::from_url(&url, FROM)?
        .send(&verify_mail("ivan@example.test"))
        .await;
    assert!(
        result.as_ref().is_err_and(|e| !e.is_permanent()),
        "{result:?}"
    );
    Ok(())
}
