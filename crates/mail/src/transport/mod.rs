//! Where mail goes: an SMTP server (RFC 5321; STARTTLS per RFC 3207, implicit TLS per RFC 8314)
//! or, for development, a directory of RFC 5322 `.eml` files. Chosen by one URL (see `target.rs`).

mod file;
mod smtp;
mod target;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;

use crate::compose::compose;
use crate::error::{MailConfigError, MailError};
use crate::message::Mail;
use target::Target;

/// How long one SMTP connect, read or write may take before the send fails (and can be retried).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// A configured way to send mail. Cheap to clone; clones share the SMTP connection pool.
///
/// Building one needs no runtime, but after its first SMTP send the last clone must be dropped
/// inside a Tokio runtime (lettre's pool spawns its shutdown there).
#[derive(Clone)]
pub struct Transport {
    route: Route,
    from: Mailbox,
    description: String,
}

#[derive(Clone)]
enum Route {
    Smtp(Arc<smtp::Smtp>),
    File(PathBuf),
}

impl Transport {
    /// Builds a transport from a URL and the sender mailbox (`Valet <no-reply@example.com>`):
    /// - `smtp://[user[:password]@]host[:port]`: STARTTLS required, port 587 by default;
    ///   `?tls=opportunistic` uses STARTTLS only if offered, `?tls=none` never (local relays);
    /// - `smtps://[user[:password]@]host[:port]`: implicit TLS, port 465 by default;
    /// - `file:///abs/dir`: writes each message as a `.eml` file into the directory (created now).
    ///
    /// User name and password are percent-decoded. Connections open lazily, at the first send.
    pub fn from_url(url: &str, from: &str) -> Result<Transport, MailConfigError> {
        let from: Mailbox = from
            .parse()
            .map_err(|source| MailConfigError::InvalidFrom {
                from: from.to_owned(),
                source,
            })?;
        let (route, description) = match target::parse(url)? {
            Target::Smtp(target) => (
                Route::Smtp(Arc::new(smtp::Smtp::new(&target)?)),
                target.describe(),
            ),
            Target::File(dir) => {
                std::fs::create_dir_all(&dir).map_err(|source| MailConfigError::CreateDir {
                    dir: dir.clone(),
                    source,
                })?;
                let description = format!("file://{}", dir.display());
                (Route::File(dir), description)
            }
        };
        Ok(Transport {
            route,
            from,
            description,
        })
    }

    /// Where mail goes, safe to log: `smtp://host:587 (STARTTLS)` or `file:///dir`, never credentials.
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Sends `mail` as a multipart/alternative message (text and HTML) from the configured sender.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = compose(mail, &self.from)?;
        match &self.route {
            Route::Smtp(smtp) => smtp.send(message).await?,
            Route::File(dir) => {
                let path = file::write(dir, &message.formatted()).await?;
                tracing::info!(path = %path.display(), "mail written to the development outbox");
            }
        }
        Ok(())
    }
}

/// Shows where mail goes and from whom, never the SMTP password.
impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("target", &self.description)
            .field("from", &self.from.to_string())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_describe_never_show_credentials() -> Result<(), MailConfigError> {
        let transport = Transport::from_url(
            "smtp://mailer:hunter2@smtp.example.com",
            "Valet <no-reply@example.com>",
        )?;
        assert_eq!(
            transport.describe(),
            "smtp://smtp.example.com:587 (STARTTLS)"
        );
        let debug = format!("{transport:?}");
        assert!(
            debug.contains("smtp.example.com") && debug.contains("no-reply@example.com"),
            "{debug}"
        );
        assert!(
            !debug.contains("hunter2") && !debug.contains("mailer"),
            "{debug}"
        );
        Ok(())
    }

    #[test]
    fn a_background_worker_can_own_it_and_spawn_its_sends() -> Result<(), MailConfigError> {
        fn sendable<T: Send + Sync>(_: &T) {}
        fn spawnable<F: std::future::Future + Send>(_: &F) {}
        let transport = Transport::from_url("smtps://smtp.example.com", "a@b.test")?;
        let mail = Mail {
            to: "c@d.test".into(),
            subject: String::new(),
            text: String::new(),
            html: String::new(),
        };
        sendable(&transport);
        spawnable(&transport.send(&mail));
        Ok(())
    }

    #[test]
    fn the_sender_must_be_a_mailbox() {
        let result = Transport::from_url("smtp://h", "Valet");
        assert!(matches!(result, Err(MailConfigError::InvalidFrom { .. })));
    }

    #[test]
    fn a_file_transport_creates_its_directory() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("valet-test-mail-{}", uuid::Uuid::now_v7()));
        let transport =
            Transport::from_url(&format!("file://{}/outbox", dir.display()), "a@b.test")?;
        assert!(dir.join("outbox").is_dir());
        assert_eq!(
            transport.describe(),
            format!("file://{}/outbox", dir.display())
        );
        std::fs::remove_dir_all(dir)?;
        Ok(())
    }
}
