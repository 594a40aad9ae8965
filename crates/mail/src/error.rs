//! Why a transport could not be configured, and why a message could not be sent. No message
//! echoes the transport URL, which may hold a password.

use std::io;
use std::path::PathBuf;

/// A mail transport URL or sender that cannot be used; reported once, at startup.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("the mail transport URL does not parse: {0}")]
    Url(url::ParseError),
    #[error("mail transport scheme `{0}` is not one of smtp, smtps, file")]
    UnsupportedScheme(String),
    #[error("the mail transport URL has no host")]
    MissingHost,
    #[error("the mail transport port must be a number from 1 to 65535")]
    InvalidPort,
    #[error("mail transport option `{0}` is not supported (smtp:// takes only tls)")]
    UnknownOption(String),
    #[error("tls=`{0}` is not one of starttls, opportunistic, none; smtps:// takes no tls option")]
    InvalidTls(String),
    #[error("the mail transport user name and password must be UTF-8 once percent-decoded")]
    InvalidCredentials,
    #[error("the mail transport URL has a password but no user name")]
    PasswordWithoutUser,
    #[error("an smtp:// or smtps:// URL takes no path or fragment")]
    UnexpectedPath,
    #[error("a file mail transport needs a local absolute directory: file:///path/to/dir")]
    InvalidFilePath,
    #[error("cannot create the mail directory {dir}: {source}")]
    CreateDir { dir: PathBuf, source: io::Error },
    #[error(
        "the sender `{from}` is not a mailbox such as `Valet <no-reply@example.com>`: {source}"
    )]
    InvalidFrom {
        from: String,
        source: lettre::address::AddressError,
    },
    #[error("cannot set up TLS for the mail server: {0}")]
    Tls(lettre::transport::smtp::Error),
}

/// A message that was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the recipient is not a valid address: {0}")]
    InvalidRecipient(lettre::address::AddressError),
    #[error("cannot compose the message: {0}")]
    Compose(#[from] lettre::error::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("cannot write the message file: {0}")]
    File(#[from] io::Error),
}

impl MailError {
    /// Whether sending the same message again cannot help: a bad address or a 5xx reply.
    /// Everything else (connection, timeout, 4xx, disk) is worth a retry later.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::InvalidRecipient(_) | MailError::Compose(_) => true,
            MailError::Smtp(error) => error.is_permanent(),
            MailError::File(_) => false,
        }
    }
}
