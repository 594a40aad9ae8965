//! A minimal but real SMTP server (RFC 5321) for tests: it accepts mail on the loopback interface,
//! keeps every message (RFC 5322, MIME parts per RFC 2045 decoded) and lets a test wait for the
//! mail sent to an address. It can require AUTH PLAIN or LOGIN (RFC 4954) and never offers
//! STARTTLS, so a client that insists on TLS fails against it, as it should.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sink = valet_mail_sink::MailSink::start().await?;
//! // configure the code under test with sink.url(), make it send, then:
//! let mail = sink.wait_for("alice@example.test", std::time::Duration::from_secs(5)).await;
//! # Ok(()) }
//! ```

mod auth;
mod command;
mod data;
mod inbox;
mod io;
mod received;
mod session;
mod sink;

pub use auth::AuthMechanism;
pub use received::Received;
pub use sink::{MailSink, MailSinkBuilder};
