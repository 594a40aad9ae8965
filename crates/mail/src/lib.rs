//! Valet's outgoing mail: localized notices rendered as plain text and HTML, composed as RFC 5322
//! messages with a MIME multipart/alternative body (RFC 2045, RFC 2046 §5.1.4), and sent over SMTP
//! (RFC 5321; STARTTLS per RFC 3207 or implicit TLS per RFC 8314) or written to a directory.
//!
//! The server renders a [`Mail`] with [`render`], queues it as JSON in its outbox, and a worker
//! later hands it to [`Transport::send`].

mod compose;
mod error;
mod html;
mod locale;
mod locales;
mod message;
mod template;
mod transport;

pub use error::{MailConfigError, MailError};
pub use locale::Locale;
pub use message::Mail;
pub use template::{Template, render};
pub use transport::{SMTP_TIMEOUT, Transport};
