//! The `[mail]`, `[account]` and `[throttle]` settings: where mail goes, what users may do on their
//! own, the password rules (NIST SP 800-63B: length and a breached-password list, no composition
//! rules) and how hard failed sign-ins, second-factor codes and recovery requests are throttled.

use std::path::Path;

use chrono::Duration;
use valet_core::issuer::Issuer;
use valet_core::password_policy::PasswordPolicy;
use valet_core::throttle::ThrottlePolicy;

use super::file::{FileAccount, FileMail, FileThrottle};
use super::{ConfigError, invalid, parse_duration};

/// Where mail goes: `smtp://`, `smtps://` or a `file://` directory. Prints without its password.
#[derive(Clone)]
pub struct MailUrl(String);

impl MailUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for MailUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                write!(f, "MailUrl({url})")
            }
            _ => write!(f, "MailUrl({})", self.0),
        }
    }
}

#[derive(Debug)]
pub struct MailConfig {
    pub url: MailUrl,
    /// The sender mailbox, e.g. `Valet <no-reply@example.com>`.
    pub from: String,
    /// Whether `url` is the development default (a directory under the data directory).
    pub is_default: bool,
}

#[derive(Debug)]
pub struct AccountConfig {
    /// Whether anyone may create an account at `/register` (a verified address is required first).
    pub self_registration: bool,
    pub password: PasswordPolicy,
}

/// Sign-in throttling: per account identifier and per client address.
#[derive(Clone, Copy, Debug)]
pub struct ThrottleConfig {
    pub account: ThrottlePolicy,
    pub ip: ThrottlePolicy,
}

/// `flag` is `--mail-url` / `VALET_MAIL_URL`.
pub(super) fn mail_config(
    file: &FileMail,
    flag: Option<&str>,
    data_dir: &Path,
    issuer: &Issuer,
) -> Result<MailConfig, ConfigError> {
    let given = flag.map(str::to_owned).or_else(|| file.url.clone());
    let is_default = given.is_none();
    let url = given.unwrap_or_else(|| format!("file://{}", absolute(&data_dir.join("mail"))));
    let scheme_ok = ["smtp://", "smtps://", "file://"]
        .iter()
        .any(|s| url.starts_with(s));
    if !scheme_ok {
        return Err(invalid(
            "mail.url",
            "must start with smtp://, smtps:// or file://",
        ));
    }
    let host = url::Url::parse(issuer.as_str())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".into());
    let from = file
        .from
        .clone()
        .unwrap_or_else(|| format!("Valet <no-reply@{host}>"));
    Ok(MailConfig {
        url: MailUrl(url),
        from,
        is_default,
    })
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// `flag` is `--self-registration` / `VALET_SELF_REGISTRATION`: it turns sign-up on whatever the file says.
pub(super) fn account_config(file: &FileAccount, flag: bool) -> Result<AccountConfig, ConfigError> {
    let defaults = PasswordPolicy::default();
    let password = PasswordPolicy {
        min_length: file.password_min_length.unwrap_or(defaults.min_length),
        max_length: defaults.max_length,
    };
    if password.min_length < 8 || password.min_length > 64 {
        return Err(invalid(
            "account.password_min_length",
            "must be between 8 (NIST SP 800-63B's minimum) and 64",
        ));
    }
    Ok(AccountConfig {
        self_registration: flag || file.self_registration.unwrap_or(false),
        password,
    })
}

pub(super) fn throttle_config(file: &FileThrottle) -> Result<ThrottleConfig, ConfigError> {
    let duration = |setting, text: &Option<String>, default: Duration| match text {
        Some(text) => parse_duration(text).map_err(|e| invalid(setting, e)),
        None => Ok(default),
    };
    let first_block = duration(
        "throttle.first_block",
        &file.first_block,
        ThrottlePolicy::ACCOUNT.first_block,
    )?;
    let max_block = duration(
        "throttle.max_block",
        &file.max_block,
        ThrottlePolicy::ACCOUNT.max_block,
    )?;
    if first_block <= Duration::zero() || max_block < first_block {
        return Err(invalid(
            "throttle",
            "first_block must be positive and at most max_block",
        ));
    }
    // A block longer than the counting window would outlive the counter that justified it.
    if max_block > ThrottlePolicy::ACCOUNT.window {
        return Err(invalid("throttle.max_block", "must be at most 1h"));
    }
    let policy = |free_failures| ThrottlePolicy {
        free_failures,
        first_block,
        max_block,
        window: ThrottlePolicy::ACCOUNT.window,
    };
    Ok(ThrottleConfig {
        account: policy(
            file.account_free_failures
                .unwrap_or(ThrottlePolicy::ACCOUNT.free_failures),
        ),
        ip: policy(
            file.ip_free_failures
                .unwrap_or(ThrottlePolicy::IP.free_failures),
        ),
    })
}
