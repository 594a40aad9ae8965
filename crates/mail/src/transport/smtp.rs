//! An SMTP client (RFC 5321) for one relay, with the TLS mode the URL asked for: STARTTLS
//! (RFC 3207), implicit TLS (RFC 8314 §3), or none; AUTH PLAIN or LOGIN (RFC 4954) when the URL
//! has credentials.

use std::sync::OnceLock;

use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::SMTP_TIMEOUT;
use super::target::{Security, SmtpTarget};
use crate::error::{MailConfigError, MailError};

/// The relay's settings, checked at startup, and its connection pool, opened at the first send.
///
/// lettre's pool spawns a Tokio task when it is created and when it is dropped; creating it
/// lazily lets configuration be loaded outside a runtime.
pub(super) struct Smtp {
    builder: AsyncSmtpTransportBuilder,
    pool: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
}

impl Smtp {
    pub(super) fn new(target: &SmtpTarget) -> Result<Smtp, MailConfigError> {
        let parameters = || TlsParameters::new(target.host.clone()).map_err(MailConfigError::Tls);
        let tls = match target.security {
            Security::StartTls => Tls::Required(parameters()?),
            Security::Opportunistic => Tls::Opportunistic(parameters()?),
            Security::Implicit => Tls::Wrapper(parameters()?),
            Security::None => Tls::None,
        };
        // "Dangerous" only because it starts without TLS; `tls` above decides what happens next.
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(target.host.clone())
                .port(target.port)
                .tls(tls)
                .timeout(Some(SMTP_TIMEOUT));
        if let Some(credentials) = &target.credentials {
            builder = builder.credentials(Credentials::new(
                credentials.user.clone(),
                credentials.password.0.clone(),
            ));
        }
        Ok(Smtp {
            builder,
            pool: OnceLock::new(),
        })
    }

    pub(super) async fn send(&self, message: Message) -> Result<(), MailError> {
        let pool = self.pool.get_or_init(|| self.builder.clone().build());
        pool.send(message).await?;
        Ok(())
    }
}
