//! The sink speaks RFC 5321 to a raw TCP client: command order, replies, dot-unstuffing, limits.
mod common;

use std::time::Duration;

use common::{Client, TestResult};
use valet_mail_sink::MailSink;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn ehlo_advertises_size_but_neither_starttls_nor_auth_when_open() -> TestResult {
    let sink = MailSink::start().await?;
    let mut client = Client::connect(sink.addr()).await;
    let reply = client.cmd("EHLO client.test").await;
    assert_eq!(reply.code, 250);
    assert!(reply.lines.iter().any(|l| l.starts_with("SIZE ")));
    assert!(
        !reply
            .lines
            .iter()
            .any(|l| l.starts_with("STARTTLS") || l.starts_with("AUTH"))
    );
    assert_eq!(client.code("STARTTLS").await, 502);
    Ok(())
}

#[tokio::test]
async fn a_message_is_stored_with_its_envelope_and_dots_unstuffed() -> TestResult {
    let sink = MailSink::start().await?;
    let mut client = Client::connect(sink.addr()).await;
    let body = "Subject: Hello\r\nTo: a@x.test\r\n\r\n..starts with a dot\r\nend\r\n";
    assert_eq!(
        client
            .send_mail("sender@x.test", &["a@x.test", "b@x.test"], body)
            .await,
        250
    );
    assert_eq!(client.code("QUIT").await, 221);

    let received = sink.wait_for("b@x.test", WAIT).await.ok_or("no mail")?;
    assert_eq!(received.from, "sender@x.test");
    assert_eq!(received.to, ["a@x.test", "b@x.test"]);
    assert_eq!(received.subject, "Hello");
    assert_eq!(received.text, ".starts with a dot\r\nend\r\n");
    assert!(received.raw.contains("\r\n.starts with a dot\r\n"));
    assert_eq!(sink.messages().len(), 1);
    Ok(())
}

#[tokio::test]
async fn commands_out_of_order_get_503() -> TestResult {
    let sink = MailSink::start().await?;
    let mut client = Client::connect(sink.addr()).await;
    assert_eq!(
        client.code("MAIL FROM:<a@x.test>").await,
        503,
        "MAIL before EHLO"
    );
    assert_eq!(client.code("HELO client.test").await, 250);
    assert_eq!(
        client.code("RCPT TO:<b@x.test>").await,
        503,
        "RCPT before MAIL"
    );
    assert_eq!(client.code("DATA").await, 503, "DATA before MAIL");
    assert_eq!(client.code("MAIL FROM:<a@x.test>").await, 250);
    assert_eq!(
        client.code("MAIL FROM:<a@x.test>").await,
        503,
        "nested MAIL"
    );
    assert_eq!(client.code("DATA").await, 503, "DATA before RCPT");
    assert_eq!(client.code("RSET").await, 250);
    assert_eq!(
        client.code("RCPT TO:<b@x.test>").await,
        503,
        "RSET ended the transaction"
    );
    Ok(())
}

#[tokio::test]
async fn unknown_commands_get_500_unimplemented_ones_502_bad_arguments_501() -> TestResult {
    let sink = MailSink::start().await?;
    let mut client = Client::connect(sink.addr()).await;
    assert_eq!(client.code("FROBNICATE").await, 500);
    assert_eq!(client.code("VRFY alice").await, 502);
    assert_eq!(client.code("EHLO").await, 501);
    assert_eq!(client.code("EHLO client.test").await, 250);
    assert_eq!(client.code("MAIL FROM:a@x.test").await, 501);
    assert_eq!(
        client.code(&format!("NOOP {}", "x".repeat(5000))).await,
        500,
        "line too long"
    );
    assert_eq!(
        client.code("NOOP").await,
        250,
        "still in sync after the long line"
    );
    Ok(())
}

#[tokio::test]
async fn oversize_mail_is_refused_and_the_session_goes_on() -> TestResult {
    let sink = MailSink::builder().max_size(100).start().await?;
    let mut client = Client::connect(sink.addr()).await;
    assert_eq!(client.code("EHLO client.test").await, 250);
    assert_eq!(
        client.code("MAIL FROM:<a@x.test> SIZE=1000").await,
        552,
        "declared size"
    );
    assert_eq!(client.code("RSET").await, 250);

    let big = format!("Subject: big\r\n\r\n{}\r\n", "y".repeat(200));
    assert_eq!(
        client.send_mail("a@x.test", &["b@x.test"], &big).await,
        552,
        "actual size"
    );
    assert_eq!(client.code("NOOP").await, 250);
    assert_eq!(
        client
            .send_mail("a@x.test", &["b@x.test"], "Subject: small\r\n\r\nok\r\n")
            .await,
        250
    );
    let subjects: Vec<String> = sink.messages().into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, ["small"]);
    Ok(())
}

#[tokio::test]
async fn a_directory_sink_writes_the_message_and_its_decoded_parts_per_recipient() -> TestResult {
    let dir = common::temp_dir("dir");
    let sink = MailSink::builder().dir(&dir).start().await?;
    let mut client = Client::connect(sink.addr()).await;
    let body = "Subject: Files\r\n\r\nbody\r\n";
    assert_eq!(
        client
            .send_mail("a@x.test", &["b@x.test", "c@x.test"], body)
            .await,
        250
    );
    assert_eq!(client.send_mail("a@x.test", &["b@x.test"], body).await, 250);

    assert_eq!(
        common::file_names(&dir)?,
        [
            "1-b@x.test.eml",
            "1-b@x.test.json",
            "1-c@x.test.eml",
            "1-c@x.test.json",
            "2-b@x.test.eml",
            "2-b@x.test.json"
        ]
    );
    assert_eq!(std::fs::read_to_string(dir.join("1-c@x.test.eml"))?, body);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("1-c@x.test.json"))?)?;
    assert_eq!(json["subject"], "Files");
    assert_eq!(json["text"], "body\r\n");
    assert_eq!(json["to"], serde_json::json!(["b@x.test", "c@x.test"]));
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
