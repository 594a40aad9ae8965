//! Pending authorization interactions: an authorization request waiting for the user (login, consent),
//! stored server-side under an opaque handle (only its SHA-256 is kept) with a short lifetime. The raw
//! request parameters are kept and validated again when the interaction completes, so a client changed
//! in between is judged by its current registration.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::random::{Random, opaque_token};
use crate::secret::opaque_secret;

/// What the user must do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Login,
    /// The password was right; the user's second factor (a TOTP or recovery code) is next.
    SecondFactor,
    /// The password was right and the client requires a second factor the user has not set up:
    /// they add an authenticator app now (its pending secret is on the user's record).
    Enrol,
    /// The authenticator app is confirmed and the recovery codes were shown: signing in is next.
    Enrolled,
    Consent,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::SecondFactor => "second_factor",
            Self::Enrol => "enrol",
            Self::Enrolled => "enrolled",
            Self::Consent => "consent",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "login" => Some(Self::Login),
            "second_factor" => Some(Self::SecondFactor),
            "enrol" => Some(Self::Enrol),
            "enrolled" => Some(Self::Enrolled),
            "consent" => Some(Self::Consent),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interaction {
    pub id: Uuid,
    /// The client's row id.
    pub client: Uuid,
    pub params: BTreeMap<String, String>,
    pub stage: Stage,
    pub session_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    /// The synchronizer token every form of this interaction must carry.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

opaque_secret!(
    /// The handle in `/interaction/{handle}`; prints as `***`.
    InteractionHandle
);

/// How long a user has to finish logging in and consenting.
pub const INTERACTION_TTL: Duration = Duration::minutes(30);

impl Interaction {
    pub fn start(
        client: Uuid,
        params: BTreeMap<String, String>,
        stage: Stage,
        now: DateTime<Utc>,
        random: &dyn Random,
    ) -> (Self, InteractionHandle) {
        let interaction = Self {
            id: Uuid::now_v7(),
            client,
            params,
            stage,
            session_id: None,
            user_id: None,
            csrf: opaque_token(random, 24),
            created_at: now,
            expires_at: now + INTERACTION_TTL,
        };
        (interaction, InteractionHandle::generate(random))
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }

    /// Constant-time check of a submitted form's CSRF token.
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.csrf.as_bytes().ct_eq(submitted.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    #[test]
    fn interactions_expire_and_check_their_csrf_token() {
        let now = Utc::now();
        let (interaction, handle) = Interaction::start(
            Uuid::now_v7(),
            BTreeMap::new(),
            Stage::Login,
            now,
            &OsRandom,
        );
        assert!(!interaction.is_expired(now + Duration::minutes(29)));
        assert!(interaction.is_expired(now + INTERACTION_TTL));
        assert!(interaction.csrf_matches(&interaction.csrf.clone()));
        assert!(!interaction.csrf_matches("forged"));
        assert!(!interaction.csrf_matches(""));
        assert_eq!(format!("{handle:?}"), "InteractionHandle(***)");
    }

    #[test]
    fn stages_round_trip() {
        for stage in [
            Stage::Login,
            Stage::SecondFactor,
            Stage::Enrol,
            Stage::Enrolled,
            Stage::Consent,
        ] {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
        }
        assert_eq!(Stage::parse("done"), None);
    }
}
