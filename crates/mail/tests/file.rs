//! The development outbox writes each message as one RFC 5322 `.eml` file whose MIME parts
//! (RFC 2045) decode back to what was rendered.

use std::error::Error;
use std::path::PathBuf;

use mail_parser::MessageParser;
use valet_mail::{Locale, Template, Transport, render};

type TestResult = Result<(), Box<dyn Error>>;

const LINK: &str =
    "https://id.valet.test/reset-password?token=cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy&x=<1>";

fn fresh_dir() -> PathBuf {
    std::env::temp_dir().join(format!("valet-test-mail-{}", uuid::Uuid::now_v7()))
}

fn eml_files(dir: &PathBuf) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        files.push(entry?.path());
    }
    files.sort();
    Ok(files)
}

#[tokio::test]
async fn each_message_becomes_one_parsable_eml_file() -> TestResult {
    let dir = fresh_dir();
    let transport = Transport::from_url(
        &format!("file://{}", dir.display()),
        "Valet <no-reply@valet.test>",
    )?;
    assert_eq!(transport.describe(), format!("file://{}", dir.display()));
    let template = Template::ResetPassword {
        name: "Alice",
        link: LINK,
        valid_minutes: 30,
    };
    let mail = render(
        &template,
        Locale::En,
        "id.valet.test",
        "Alice <alice@example.test>",
    );
    transport.send(&mail).await?;

    let files = eml_files(&dir)?;
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|ext| ext == "eml"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&files[0])?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a reset link is readable by the owner only");
    let raw = std::fs::read(&files[0])?;
    let message = MessageParser::default()
        .parse(&raw)
        .ok_or("not an RFC 5322 message")?;
    assert_eq!(message.subject(), Some("Reset your id.valet.test password"));
    let to = message
        .to()
        .and_then(|to| to.first())
        .and_then(|to| to.address());
    assert_eq!(to, Some("alice@example.test"));
    let from = message
        .from()
        .and_then(|from| from.first())
        .and_then(|from| from.address());
    assert_eq!(from, Some("no-reply@valet.test"));
    let text = message.body_text(0).ok_or("no text part")?;
    assert!(text.lines().any(|line| line == LINK), "{text}");
    let html = message.body_html(0).ok_or("no html part")?;
    assert!(html.contains("token=cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy&amp;x=&lt;1&gt;"));
    assert!(!html.contains("<1>"));

    transport.send(&mail).await?;
    assert_eq!(eml_files(&dir)?.len(), 2, "names never collide");
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
