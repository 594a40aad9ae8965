//! The rotation schedule, as pure rules over key instants.
//!
//! A successor is generated `lead` before the active key retires, so relying parties (and other replicas)
//! see it in the JWKS before it signs anything. A retired key stays published for `retention` — the
//! longest lifetime of any token Valet signs — so every token it signed can still be verified.
//! Replicas may race to generate a successor; the result is two published keys of which the signer
//! is chosen deterministically (`KeyRing`), so no lock is needed.

use chrono::{DateTime, Duration, Utc};

use super::{SigningAlg, StoredKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyTimes {
    pub activates_at: DateTime<Utc>,
    pub retires_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    Next,
    Active,
    Retiring,
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retiring => "retiring",
            Self::Retired => "retired",
        }
    }

    /// Whether the key appears in the JWKS.
    pub fn is_published(self) -> bool {
        self != Self::Retired
    }
}

impl KeyTimes {
    pub fn state_at(&self, now: DateTime<Utc>) -> KeyState {
        if now < self.activates_at {
            KeyState::Next
        } else if now < self.retires_at {
            KeyState::Active
        } else if now < self.expires_at {
            KeyState::Retiring
        } else {
            KeyState::Retired
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotationPolicy {
    /// How long a key signs.
    pub interval: Duration,
    /// How long a key is published before it signs.
    pub lead: Duration,
    /// How long a key stays published after it stops signing.
    pub retention: Duration,
}

impl RotationPolicy {
    fn times(&self, activates_at: DateTime<Utc>) -> KeyTimes {
        let retires_at = activates_at + self.interval;
        KeyTimes {
            activates_at,
            retires_at,
            expires_at: retires_at + self.retention,
        }
    }
}

/// Keys the schedule says must exist now and do not: one entry per algorithm that has no key able to
/// sign (bootstrap, active at once) or whose active key retires within `lead` without a successor.
pub fn due_generations(
    keys: &[StoredKey],
    algs: &[SigningAlg],
    now: DateTime<Utc>,
    policy: &RotationPolicy,
) -> Vec<KeyPlan> {
    algs.iter()
        .filter_map(|&alg| {
            let latest = keys
                .iter()
                .filter(|k| k.alg == alg && k.times.retires_at > now)
                .max_by_key(|k| k.times.retires_at);
            match latest {
                None => Some((alg, policy.times(now))),
                Some(key) if key.times.retires_at - policy.lead <= now => {
                    Some((alg, policy.times(key.times.retires_at)))
                }
                Some(_) => None,
            }
        })
        .collect()
}

/// New instants for an existing key, by `kid`.
pub type KeyUpdate = (String, KeyTimes);
/// A key to generate: its algorithm and instants.
pub type KeyPlan = (SigningAlg, KeyTimes);

/// What an operator's "rotate now" changes: every key still due to sign stops at `switch_at` (now + lead,
/// or now when `immediately`, for a compromised key), and a new key per algorithm signs from then on.
/// Returns the updated instants of existing keys (by kid) and the keys to generate.
pub fn manual_rotation(
    keys: &[StoredKey],
    algs: &[SigningAlg],
    now: DateTime<Utc>,
    policy: &RotationPolicy,
    immediately: bool,
) -> (Vec<KeyUpdate>, Vec<KeyPlan>) {
    let switch_at = if immediately { now } else { now + policy.lead };
    let updates = keys
        .iter()
        .filter(|k| algs.contains(&k.alg) && k.times.retires_at > switch_at)
        .map(|k| {
            let activates_at = k.times.activates_at.min(switch_at);
            let times = KeyTimes {
                activates_at,
                retires_at: switch_at,
                expires_at: switch_at + policy.retention,
            };
            (k.kid.clone(), times)
        })
        .collect();
    let new = algs
        .iter()
        .map(|&alg| (alg, policy.times(switch_at)))
        .collect();
    (updates, new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SealedKey;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    fn policy() -> RotationPolicy {
        RotationPolicy {
            interval: Duration::days(90),
            lead: Duration::days(2),
            retention: Duration::days(1),
        }
    }

    fn key(kid: &str, alg: SigningAlg, times: KeyTimes) -> StoredKey {
        StoredKey {
            id: uuid::Uuid::nil(),
            kid: kid.into(),
            alg,
            public_jwk: Default::default(),
            sealed: SealedKey {
                ciphertext: vec![],
                nonce: vec![],
            },
            created_at: t0(),
            times,
        }
    }

    #[test]
    fn state_follows_the_three_instants() {
        let times = policy().times(t0());
        assert_eq!(times.state_at(t0() - Duration::seconds(1)), KeyState::Next);
        assert_eq!(times.state_at(t0()), KeyState::Active);
        assert_eq!(times.state_at(times.retires_at), KeyState::Retiring);
        assert!(times.state_at(times.retires_at).is_published());
        assert_eq!(times.state_at(times.expires_at), KeyState::Retired);
        assert!(!KeyState::Retired.is_published());
    }

    #[test]
    fn first_start_generates_an_active_key_per_algorithm() {
        let due = due_generations(&[], &SigningAlg::ALL, t0(), &policy());
        assert_eq!(due.len(), 4);
        assert!(
            due.iter()
                .all(|(_, times)| times.state_at(t0()) == KeyState::Active)
        );
    }

    #[test]
    fn nothing_is_due_while_the_active_key_has_more_than_lead_left() {
        let keys = [key("a", SigningAlg::Es256, policy().times(t0()))];
        let later = t0() + Duration::days(87);
        assert!(due_generations(&keys, &[SigningAlg::Es256], later, &policy()).is_empty());
    }

    #[test]
    fn a_successor_is_published_lead_before_it_signs() {
        let keys = [key("a", SigningAlg::Es256, policy().times(t0()))];
        let now = t0() + Duration::days(88);
        let due = due_generations(&keys, &[SigningAlg::Es256], now, &policy());
        assert_eq!(due.len(), 1);
        let (_, times) = due[0];
        assert_eq!(times.activates_at, t0() + Duration::days(90));
        assert_eq!(times.state_at(now), KeyState::Next);
        // Once generated, the successor satisfies the schedule until it nears its own retirement.
        let with_successor = [keys[0].clone(), key("b", SigningAlg::Es256, times)];
        assert!(due_generations(&with_successor, &[SigningAlg::Es256], now, &policy()).is_empty());
    }

    #[test]
    fn after_a_long_outage_a_key_signs_at_once() {
        let keys = [key("a", SigningAlg::Rs256, policy().times(t0()))];
        let now = t0() + Duration::days(400);
        let due = due_generations(&keys, &[SigningAlg::Rs256], now, &policy());
        assert_eq!(due[0].1.activates_at, now);
    }

    #[test]
    fn manual_rotation_keeps_the_lead_and_the_old_key_published() {
        let active = key("a", SigningAlg::Es256, policy().times(t0()));
        let now = t0() + Duration::days(10);
        let (updates, new) =
            manual_rotation(&[active], &[SigningAlg::Es256], now, &policy(), false);
        let switch_at = now + Duration::days(2);
        assert_eq!(
            updates,
            vec![(
                "a".to_owned(),
                KeyTimes {
                    activates_at: t0(),
                    retires_at: switch_at,
                    expires_at: switch_at + Duration::days(1),
                }
            )]
        );
        assert_eq!(new[0].1.activates_at, switch_at);
        assert_eq!(new[0].1.state_at(now), KeyState::Next);
    }

    #[test]
    fn immediate_rotation_switches_now_and_supersedes_a_pending_successor() {
        let times = policy().times(t0());
        let pending = policy().times(times.retires_at);
        let keys = [
            key("a", SigningAlg::Es256, times),
            key("b", SigningAlg::Es256, pending),
        ];
        let now = t0() + Duration::days(89);
        let (updates, new) = manual_rotation(&keys, &[SigningAlg::Es256], now, &policy(), true);
        assert_eq!(updates.len(), 2);
        assert!(
            updates
                .iter()
                .all(|(_, t)| t.state_at(now) == KeyState::Retiring)
        );
        assert_eq!(new[0].1.state_at(now), KeyState::Active);
    }

    #[test]
    fn rotation_touches_only_the_requested_algorithms() {
        let keys = [key("rsa", SigningAlg::Rs256, policy().times(t0()))];
        let (updates, new) = manual_rotation(&keys, &[SigningAlg::Es256], t0(), &policy(), false);
        assert!(updates.is_empty());
        assert_eq!(new.len(), 1);
    }
}
