//! One-time links mailed to a user: single-use, expiring, stored only as a SHA-256 hash, each bound to
//! one purpose (a reset link cannot verify an address and vice versa) and, for verification, to the
//! address it was sent to (changing the address again makes the older link useless).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::random::Random;
use crate::secret::opaque_secret;

opaque_secret!(
    /// The token in a mailed link; prints as `***`.
    AccountLink
);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPurpose {
    VerifyEmail,
    ResetPassword,
    /// The first verification of a self-registered account, which is disabled until then.
    Activate,
}

crate::client::vocabulary_impl!(LinkPurpose {
    VerifyEmail => "verify_email",
    ResetPassword => "reset_password",
    Activate => "activate_account",
});

impl LinkPurpose {
    /// How long a mailed link stays valid.
    pub fn lifetime(self) -> Duration {
        match self {
            Self::VerifyEmail | Self::Activate => Duration::hours(24),
            Self::ResetPassword => Duration::minutes(30),
        }
    }
}

/// A link as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub purpose: LinkPurpose,
    /// The address a verification link was sent to.
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl AccountToken {
    pub fn issue(
        user_id: Uuid,
        purpose: LinkPurpose,
        email: Option<String>,
        now: DateTime<Utc>,
        random: &dyn Random,
    ) -> (Self, AccountLink) {
        let token = Self {
            id: Uuid::now_v7(),
            user_id,
            purpose,
            email,
            created_at: now,
            expires_at: now + purpose.lifetime(),
            used_at: None,
        };
        (token, AccountLink::generate(random))
    }

    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn a_link_is_usable_once_and_until_it_expires() {
        let (mut token, link) = AccountToken::issue(
            Uuid::now_v7(),
            LinkPurpose::ResetPassword,
            None,
            t0(),
            &OsRandom,
        );
        assert!(token.usable(t0() + Duration::minutes(29)));
        assert!(!token.usable(t0() + Duration::minutes(30)));
        token.used_at = Some(t0());
        assert!(!token.usable(t0()));
        assert_eq!(format!("{link:?}"), "AccountLink(***)");
    }

    #[test]
    fn verification_links_live_longer_than_reset_links() {
        assert!(LinkPurpose::VerifyEmail.lifetime() > LinkPurpose::ResetPassword.lifetime());
        for purpose in LinkPurpose::ALL.iter().copied() {
            assert_eq!(purpose.as_str().parse::<LinkPurpose>().ok(), Some(purpose));
        }
    }
}
