//! The durable outbox: deliveries to relying parties (back-channel logout tokens, OIDC Back-Channel
//! Logout 1.0 §2.5) are database rows. Each is claimed by one replica at a time (a lease), sent with a
//! short timeout, and retried with exponential back-off until it is delivered or out of attempts. A
//! crash or restart loses nothing: an unfinished claim simply expires and the row is sent again.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::issuer::Issuer;
use crate::keys::{KeyError, KeyRing, SigningAlg};
use crate::revocation::LogoutPayload;

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    Pending,
    Delivered,
    Failed,
}

crate::client::vocabulary_impl!(OutboxStatus {
    Pending => "pending",
    Delivered => "delivered",
    Failed => "failed",
});

impl Serialize for OutboxStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One queued delivery as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub kind: String,
    /// The client's row id (gone when the client was deleted since).
    pub client: Option<Uuid>,
    /// Where it goes: a URL for back-channel logout.
    pub target: String,
    #[serde(skip)]
    pub payload: String,
    pub status: OutboxStatus,
    /// Attempts started so far, including one in progress.
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// How one attempt ended, as the store records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered {
        at: DateTime<Utc>,
    },
    /// Failed; tried again at `next_attempt_at`.
    Retry {
        error: String,
        next_attempt_at: DateTime<Utc>,
    },
    /// Failed for the last time.
    Failed {
        error: String,
    },
}

/// Back-off between attempts: `first_delay`, doubling, at most `max_delay`, `max_attempts` in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 10 attempts over about 2 hours: 10 s, 20 s, 40 s, … capped at 30 min.
    fn default() -> Self {
        Self {
            max_attempts: 10,
            first_delay: Duration::seconds(10),
            max_delay: Duration::minutes(30),
        }
    }
}

impl RetryPolicy {
    /// What a failure of attempt number `attempts` (1-based) leads to.
    pub fn after_failure(
        &self,
        attempts: u32,
        error: String,
        now: DateTime<Utc>,
    ) -> DeliveryOutcome {
        if attempts >= self.max_attempts {
            return DeliveryOutcome::Failed { error };
        }
        let doublings = attempts.saturating_sub(1).min(20);
        let delay = self
            .first_delay
            .checked_mul(1 << doublings)
            .map_or(self.max_delay, |d| d.min(self.max_delay));
        DeliveryOutcome::Retry {
            error,
            next_attempt_at: now + delay,
        }
    }
}

/// The event member of a logout token (Back-Channel Logout 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";
/// How long a logout token is valid once sent.
const LOGOUT_TOKEN_TTL: Duration = Duration::minutes(2);

/// The logout token for a queued payload, signed now (`jti` = the outbox row id, so a retried
/// delivery is recognisably the same logout). Never carries a `nonce` (§2.4).
pub fn logout_token(
    payload: &LogoutPayload,
    jti: Uuid,
    issuer: &Issuer,
    ring: &KeyRing,
    now: DateTime<Utc>,
) -> Result<String, KeyError> {
    let mut claims = json!({
        "iss": issuer.as_str(),
        "aud": payload.aud,
        "iat": now.timestamp(),
        "exp": (now + LOGOUT_TOKEN_TTL).timestamp(),
        "jti": jti.to_string(),
        "sub": payload.sub,
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    if let (Some(sid), Value::Object(map)) = (&payload.sid, &mut claims) {
        map.insert("sid".into(), Value::String(sid.clone()));
    }
    let bytes = serde_json::to_vec(&claims).map_err(|e| KeyError::Crypto(e.to_string()))?;
    // The client's ID token algorithm, or RS256 (always configured) when that key is not available.
    let alg = if ring.signing_kid(payload.alg).is_some() {
        payload.alg
    } else {
        SigningAlg::Rs256
    };
    ring.sign(alg, LOGOUT_TOKEN_TYP, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap_then_fail() {
        let policy = RetryPolicy {
            max_attempts: 5,
            first_delay: Duration::seconds(10),
            max_delay: Duration::seconds(30),
        };
        let next = |n| match policy.after_failure(n, "e".into(), t0()) {
            DeliveryOutcome::Retry {
                next_attempt_at, ..
            } => Some((next_attempt_at - t0()).num_seconds()),
            _ => None,
        };
        assert_eq!(next(1), Some(10));
        assert_eq!(next(2), Some(20));
        assert_eq!(next(3), Some(30));
        assert_eq!(next(4), Some(30));
        assert_eq!(next(5), None);
        assert_eq!(
            policy.after_failure(5, "gone".into(), t0()),
            DeliveryOutcome::Failed {
                error: "gone".into()
            }
        );
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let policy = RetryPolicy {
            max_attempts: u32::MAX,
            ..RetryPolicy::default()
        };
        assert!(matches!(
            policy.after_failure(4_000_000, "e".into(), t0()),
            DeliveryOutcome::Retry { .. }
        ));
    }

    #[test]
    fn statuses_have_stable_names() {
        assert_eq!(OutboxStatus::Pending.as_str(), "pending");
        assert_eq!(
            "failed".parse::<OutboxStatus>().ok(),
            Some(OutboxStatus::Failed)
        );
    }
}
