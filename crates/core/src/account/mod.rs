//! The user's own account: one-time links sent by mail (email verification, password reset), the
//! TOTP second factor's stored state, and mail queued in the durable outbox.

mod link;

pub use link::{AccountLink, AccountToken, LinkPurpose};

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The outbox `kind` of a queued e-mail; its `target` is the recipient address.
pub const MAIL_KIND: &str = "mail";

/// A rendered e-mail waiting in the outbox. `sealed` is the message sealed under the master key
/// (it may carry a one-time link, which must not sit in the database in clear).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: Uuid,
    pub to: String,
    pub sealed: String,
    pub queued_at: DateTime<Utc>,
}

/// A user's second factor as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MfaState {
    /// The TOTP secret sealed under the master key; present from enrolment start.
    pub totp_sealed: Option<String>,
    /// Set once the user proved the authenticator works: only then is the factor required.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The last accepted time step (RFC 6238 `T`); codes of this step or earlier are refused.
    pub last_step: Option<i64>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
}

impl MfaState {
    pub fn enabled(&self) -> bool {
        Self::is_on(self.confirmed_at, self.totp_sealed.as_deref())
    }

    /// The rule of `enabled`, for a reader that has these two columns but not the whole state
    /// (`User::second_factor`): the secret is stored and the user confirmed it.
    pub fn is_on(confirmed_at: Option<DateTime<Utc>>, totp_sealed: Option<&str>) -> bool {
        confirmed_at.is_some() && totp_sealed.is_some()
    }
}

/// RFC 8176 method references and the `acr` values Valet asserts.
pub mod methods {
    pub const PWD: &str = "pwd";
    pub const OTP: &str = "otp";
    pub const MFA: &str = "mfa";
    /// Single-factor authentication.
    pub const ACR_SINGLE: &str = "1";
    /// Multi-factor authentication: request it with `acr_values=2` or a client's `default_acr_values`.
    pub const ACR_MFA: &str = "2";
}
