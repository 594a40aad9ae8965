//! Pending authorization interactions: an authorization request waiting for the user (login, consent),
//! with a short lifetime. The raw request parameters are kept and validated again when the interaction
//! completes, so a client changed in between is judged by its current registration.
//!
//! A browser reaches its interaction at `/interaction/{handle}`, and holds a cookie that binds the
//! handle to it. An interaction is kept in one of two ways (`Keeping`):
//! - stored server-side under its handle's SHA-256 (an opaque random handle, which is also the
//!   cookie's value);
//! - or, for a login page, sealed into the handle itself (`sealed`): nothing is written until the
//!   password is right, so requests that show a login page write nothing. The cookie is then a
//!   random value the seal is bound to. If the interaction moves on (a second factor, consent), it is
//!   stored from then on, under the hash of that same handle.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::random::{Random, opaque_token};
use crate::secret::{SecretHash, opaque_secret};

mod sealed;

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
    pub keeping: Keeping,
}

/// Where an interaction is kept between requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keeping {
    /// In the store, under its handle's hash.
    Stored,
    /// Only in its sealed handle; the hash is the one it is stored under if it moves on.
    Sealed(SecretHash),
}

opaque_secret!(
    /// The handle in `/interaction/{handle}`; prints as `***`.
    InteractionHandle
);

opaque_secret!(
    /// The value of the cookie that binds an interaction to its browser; prints as `***`.
    InteractionBinding
);

/// How the browser reaches a new interaction: its address's handle and its cookie's value.
#[derive(Clone, Debug)]
pub struct Entry {
    pub handle: InteractionHandle,
    pub binding: InteractionBinding,
}

impl Entry {
    /// A stored interaction's entry: the cookie holds the handle itself.
    pub fn stored(handle: InteractionHandle) -> Self {
        let binding = InteractionBinding::parse(handle.expose());
        Self { handle, binding }
    }
}

/// Whether a browser's cookie `binding` binds a stored interaction's `handle` (it is the handle
/// itself), compared in constant time.
pub fn binds_stored(binding: &str, handle: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(binding.as_bytes().ct_eq(handle.as_bytes()))
}

/// How long a user has to finish logging in and consenting.
pub const INTERACTION_TTL: Duration = Duration::minutes(30);

impl Interaction {
    /// A new interaction to store, and its random handle.
    pub fn start(
        client: Uuid,
        params: BTreeMap<String, String>,
        stage: Stage,
        now: DateTime<Utc>,
        random: &dyn Random,
    ) -> (Self, InteractionHandle) {
        let interaction = Self::fresh(client, params, stage, now, random);
        (interaction, InteractionHandle::generate(random))
    }

    fn fresh(
        client: Uuid,
        params: BTreeMap<String, String>,
        stage: Stage,
        now: DateTime<Utc>,
        random: &dyn Random,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            client,
            params,
            stage,
            session_id: None,
            user_id: None,
            csrf: opaque_token(random, 24),
            created_at: now,
            expires_at: now + INTERACTION_TTL,
            keeping: Keeping::Stored,
        }
    }

    pub fn is_stored(&self) -> bool {
        self.keeping == Keeping::Stored
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
