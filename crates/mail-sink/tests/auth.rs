//! A sink with credentials demands AUTH PLAIN or LOGIN (RFC 4954) before MAIL.
mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Client, TestResult};
use valet_mail_sink::{AuthMechanism, MailSink};

async fn sink() -> std::io::Result<MailSink> {
    MailSink::with_auth("alice", "s3cret").start().await
}

#[tokio::test]
async fn ehlo_advertises_auth_and_mail_before_auth_is_refused() -> TestResult {
    let sink = sink().await?;
    let mut client = Client::connect(sink.addr()).await;
    assert_eq!(client.code("AUTH PLAIN").await, 503, "AUTH before EHLO");
    let reply = client.cmd("EHLO client.test").await;
    assert!(reply.lines.iter().any(|l| l == "AUTH PLAIN LOGIN"));
    assert_eq!(client.code("MAIL FROM:<a@x.test>").await, 530);
    assert_eq!(client.code("AUTH CRAM-MD5").await, 504);
    Ok(())
}

#[tokio::test]
async fn auth_plain_accepts_only_the_configured_credentials() -> TestResult {
    let sink = sink().await?;
    let mut client = Client::connect(sink.addr()).await;
    assert_eq!(client.code("EHLO client.test").await, 250);
    let wrong = STANDARD.encode("\0alice\0guess");
    assert_eq!(client.code(&format!("AUTH PLAIN {wrong}")).await, 535);
    assert_eq!(client.code("AUTH PLAIN").await, 334);
    assert_eq!(client.code(&STANDARD.encode("\0alice\0s3cret")).await, 235);
    assert_eq!(
        client.code("AUTH PLAIN").await,
        503,
        "already authenticated"
    );
    assert_eq!(client.code("MAIL FROM:<a@x.test>").await, 250);
    Ok(())
}

#[tokio::test]
async fn auth_login_asks_for_user_then_password() -> TestResult {
    let sink = MailSink::with_auth("alice", "s3cret")
        .mechanisms(&[AuthMechanism::Login])
        .start()
        .await?;
    let mut client = Client::connect(sink.addr()).await;
    let reply = client.cmd("EHLO client.test").await;
    assert!(reply.lines.iter().any(|l| l == "AUTH LOGIN"));
    assert_eq!(client.code("AUTH PLAIN").await, 504, "PLAIN not offered");
    let reply = client.cmd("AUTH LOGIN").await;
    assert_eq!((reply.code, reply.lines[0].as_str()), (334, "VXNlcm5hbWU6"));
    assert_eq!(client.code(&STANDARD.encode("alice")).await, 334);
    assert_eq!(client.code(&STANDARD.encode("s3cret")).await, 235);
    Ok(())
}

#[tokio::test]
async fn a_cancelled_or_undecodable_exchange_gets_501() -> TestResult {
    let sink = sink().await?;
    let mut client = Client::connect(sink.addr()).await;
    assert_eq!(client.code("EHLO client.test").await, 250);
    assert_eq!(client.code("AUTH LOGIN").await, 334);
    assert_eq!(client.code("*").await, 501);
    assert_eq!(client.code("AUTH PLAIN !!!").await, 501);
    assert_eq!(client.code("MAIL FROM:<a@x.test>").await, 530);
    Ok(())
}
