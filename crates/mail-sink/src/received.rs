//! A delivered message: the SMTP envelope (RFC 5321) and its content (RFC 5322), with the MIME parts
//! (RFC 2045) decoded so tests can read text and HTML as the recipient would.

use mail_parser::{MessageParser, PartType};
use serde::Serialize;

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Received {
    /// Envelope sender (`MAIL FROM`); empty for the null reverse-path.
    pub from: String,
    /// Envelope recipients (`RCPT TO`), in order.
    pub to: Vec<String>,
    /// The message exactly as sent, after dot-unstuffing.
    pub raw: String,
    /// The decoded `Subject` header; empty when absent.
    pub subject: String,
    /// The first `text/plain` part, transfer-decoded; empty when absent.
    pub text: String,
    /// The first `text/html` part, transfer-decoded; empty when absent.
    pub html: String,
}

impl Received {
    pub(crate) fn parse(from: String, to: Vec<String>, raw: &[u8]) -> Self {
        let mut received = Received {
            from,
            to,
            raw: String::from_utf8_lossy(raw).into_owned(),
            subject: String::new(),
            text: String::new(),
            html: String::new(),
        };
        if let Some(message) = MessageParser::default().parse(raw) {
            received.subject = message.subject().unwrap_or_default().to_owned();
            for part in &message.parts {
                match &part.body {
                    PartType::Text(text) if received.text.is_empty() => {
                        received.text = text.to_string();
                    }
                    PartType::Html(html) if received.html.is_empty() => {
                        received.html = html.to_string();
                    }
                    _ => {}
                }
            }
        }
        received
    }

    /// Whether `address` is one of the envelope recipients (compared ignoring ASCII case).
    pub fn is_for(&self, address: &str) -> bool {
        self.to.iter().any(|to| to.eq_ignore_ascii_case(address))
    }

    /// The first URL in the text part that starts with `prefix`, without trailing punctuation.
    pub fn first_link(&self, prefix: &str) -> Option<String> {
        let start = self.text.find(prefix)?;
        let rest = &self.text[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .unwrap_or(rest.len());
        let link = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'']);
        Some(link.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTIPART: &[u8] = b"From: Valet <no-reply@valet.test>\r\n\
To: alice@example.test\r\n\
Subject: =?utf-8?q?Caf=C3=A9_time?=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Open this link:\r\n\
\r\n\
https://valet.test/verify?token=3Dabc&x=3D1\r\n\
\r\n\
--b\r\n\
Content-Type: text/html; charset=utf-8\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
PHA+SGk8L3A+\r\n\
--b--\r\n";

    fn sample() -> Received {
        Received::parse(
            "no-reply@valet.test".into(),
            vec!["Alice@Example.test".into()],
            MULTIPART,
        )
    }

    #[test]
    fn subject_and_parts_are_decoded() {
        let received = sample();
        assert_eq!(received.subject, "Café time");
        assert!(
            received
                .text
                .contains("https://valet.test/verify?token=abc&x=1")
        );
        assert_eq!(received.html, "<p>Hi</p>");
    }

    #[test]
    fn first_link_stops_at_whitespace_and_sentence_punctuation() {
        let mut received = sample();
        assert_eq!(
            received.first_link("https://valet.test/verify").as_deref(),
            Some("https://valet.test/verify?token=abc&x=1")
        );
        received.text = "See https://a.test/x?y=1. Or (https://a.test/z).".into();
        assert_eq!(
            received.first_link("https://a.test/").as_deref(),
            Some("https://a.test/x?y=1")
        );
        assert_eq!(received.first_link("https://b.test/"), None);
    }

    #[test]
    fn recipients_match_ignoring_case() {
        assert!(sample().is_for("alice@example.test"));
        assert!(!sample().is_for("bob@example.test"));
    }
}
