//! A [`Mail`] becomes an RFC 5322 message with a MIME (RFC 2045) multipart/alternative body:
//! plain text first, HTML last, as RFC 2046 §5.1.4 orders them by preference.

use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use uuid::Uuid;

use crate::error::MailError;
use crate::message::Mail;

pub(crate) fn compose(mail: &Mail, from: &Mailbox) -> Result<Message, MailError> {
    let to: Mailbox = mail.to.parse().map_err(MailError::InvalidRecipient)?;
    // RFC 3834 §5: tells auto-responders (vacation replies) not to answer.
    let auto_submitted = HeaderValue::new(
        HeaderName::new_from_ascii_str("Auto-Submitted"),
        "auto-generated".to_owned(),
    );
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        // Named after the sender's domain rather than this machine's host name (RFC 5322 §3.6.4).
        .message_id(Some(format!(
            "<{}@{}>",
            Uuid::now_v7(),
            from.email.domain()
        )))
        .raw_header(auto_submitted)
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))?;
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str) -> Mail {
        Mail {
            to: to.into(),
            subject: "Hi".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
        }
    }

    fn from() -> Result<Mailbox, lettre::address::AddressError> {
        "Valet <no-reply@valet.test>".parse()
    }

    #[test]
    fn the_message_has_both_parts_and_the_sender_domain_in_its_id()
    -> Result<(), Box<dyn std::error::Error>> {
        let raw = String::from_utf8(compose(&mail("alice@example.test"), &from()?)?.formatted())?;
        assert!(raw.contains("Content-Type: multipart/alternative"));
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(raw.contains("Content-Type: text/html; charset=utf-8"));
        assert!(raw.contains("@valet.test>\r\n"));
        assert!(raw.contains("Auto-Submitted: auto-generated\r\n"));
        Ok(())
    }

    #[test]
    fn an_invalid_recipient_is_a_permanent_error() -> Result<(), lettre::address::AddressError> {
        let error = compose(&mail("not an address"), &from()?).err();
        assert!(matches!(&error, Some(MailError::InvalidRecipient(_))));
        assert!(error.is_some_and(|e| e.is_permanent()));
        Ok(())
    }
}
