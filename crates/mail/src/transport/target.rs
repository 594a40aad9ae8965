//! Mail transport URLs (RFC 3986 syntax):
//! - `smtp://[user[:password]@]host[:port][?tls=starttls|opportunistic|none]`: submission
//!   (RFC 6409, port 587) with STARTTLS (RFC 3207) required unless `tls` says otherwise;
//! - `smtps://[user[:password]@]host[:port]`: implicit TLS (RFC 8314 §3, port 465);
//! - `file:///abs/dir`: a development outbox directory.
//!
//! User name and password are percent-decoded.

use std::fmt;
use std::path::PathBuf;

use percent_encoding::percent_decode_str;
use url::{Host, Url};

use crate::error::MailConfigError;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Smtp(SmtpTarget),
    File(PathBuf),
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SmtpTarget {
    /// What to connect to and verify the certificate against: a name or a bare IP address.
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) security: Security,
    pub(crate) credentials: Option<Credentials>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    StartTls,
    Opportunistic,
    None,
    Implicit,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) password: Password,
}

#[derive(PartialEq, Eq)]
pub(crate) struct Password(pub(crate) String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Security {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Security::StartTls => "STARTTLS",
            Security::Opportunistic => "STARTTLS if offered",
            Security::None => "no TLS",
            Security::Implicit => "TLS",
        }
    }
}

impl SmtpTarget {
    /// `scheme://host:port (security)`, without credentials.
    pub(crate) fn describe(&self) -> String {
        let scheme = if self.security == Security::Implicit {
            "smtps"
        } else {
            "smtp"
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "{scheme}://{host}:{} ({})",
            self.port,
            self.security.describe()
        )
    }
}

pub(crate) fn parse(raw: &str) -> Result<Target, MailConfigError> {
    let url = Url::parse(raw).map_err(|error| match error {
        url::ParseError::InvalidPort => MailConfigError::InvalidPort,
        url::ParseError::EmptyHost => MailConfigError::MissingHost,
        error => MailConfigError::Url(error),
    })?;
    match url.scheme() {
        "smtp" => smtp(&url, false).map(Target::Smtp),
        "smtps" => smtp(&url, true).map(Target::Smtp),
        "file" => file(&url).map(Target::File),
        other => Err(MailConfigError::UnsupportedScheme(other.to_owned())),
    }
}

fn smtp(url: &Url, implicit_tls: bool) -> Result<SmtpTarget, MailConfigError> {
    let host = match url.host() {
        Some(Host::Domain(name)) if !name.is_empty() => name.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(MailConfigError::MissingHost),
    };
    let port = match url.port() {
        Some(0) => return Err(MailConfigError::InvalidPort),
        Some(port) => port,
        None if implicit_tls => 465,
        None => 587,
    };
    if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
        return Err(MailConfigError::UnexpectedPath);
    }
    let mut security = if implicit_tls {
        Security::Implicit
    } else {
        Security::StartTls
    };
    for (key, value) in url.query_pairs() {
        if key != "tls" {
            return Err(MailConfigError::UnknownOption(key.into_owned()));
        }
        security = match (implicit_tls, value.as_ref()) {
            (false, "starttls" | "required") => Security::StartTls,
            (false, "opportunistic") => Security::Opportunistic,
            (false, "none") => Security::None,
            _ => return Err(MailConfigError::InvalidTls(value.into_owned())),
        };
    }
    Ok(SmtpTarget {
        host,
        port,
        security,
        credentials: credentials(url)?,
    })
}

fn credentials(url: &Url) -> Result<Option<Credentials>, MailConfigError> {
    let decode = |raw: &str| {
        percent_decode_str(raw)
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| MailConfigError::InvalidCredentials)
    };
    match (url.username(), url.password()) {
        ("", None) => Ok(None),
        ("", Some(_)) => Err(MailConfigError::PasswordWithoutUser),
        (user, password) => Ok(Some(Credentials {
            user: decode(user)?,
            password: Password(decode(password.unwrap_or_default())?),
        })),
    }
}

fn file(url: &Url) -> Result<PathBuf, MailConfigError> {
    if url.host_str().is_some_and(|host| !host.is_empty())
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(MailConfigError::InvalidFilePath);
    }
    url.to_file_path()
        .map_err(|()| MailConfigError::InvalidFilePath)
}

#[cfg(test)]
mod tests;
