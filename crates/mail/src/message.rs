//! The rendered message as it waits in the outbox: envelope recipient, subject and both bodies
//! of the RFC 2046 multipart/alternative it becomes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A rendered message, ready to queue (as JSON) and send.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    /// The recipient: `alice@example.com` or `Alice <alice@example.com>`.
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The bodies carry one-time links, which are secrets: Debug shows only their size.
impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .field("html", &format_args!("<{} bytes>", self.html.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail {
            to: "alice@example.test".into(),
            subject: "Reset your password".into(),
            text: "https://valet.test/reset?token=SECRET".into(),
            html: "<a href=\"https://valet.test/reset?token=SECRET\">".into(),
        }
    }

    #[test]
    fn mail_survives_the_json_outbox() -> Result<(), serde_json::Error> {
        let json = serde_json::to_string(&mail())?;
        assert_eq!(serde_json::from_str::<Mail>(&json)?, mail());
        Ok(())
    }

    #[test]
    fn debug_does_not_show_the_bodies_with_their_links() {
        let debug = format!("{:?}", mail());
        assert!(debug.contains("alice@example.test"));
        assert!(!debug.contains("SECRET"));
    }
}
