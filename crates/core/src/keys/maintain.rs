//! Keeping the stored keys on schedule, and operator rotation, through the `KeyStore` port.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{
    GeneratedKey, KeyError, KeyRing, KeyTimes, MasterKey, RotationPolicy, SigningAlg, StoredKey,
    due_generations, generate, manual_rotation,
};
use crate::audit::{Actor, AuditEvent};
use crate::ports::KeyStore;
use crate::random::Random;

/// What the key maintenance needs besides the store.
pub struct KeyContext<'a> {
    pub master: &'a MasterKey,
    pub random: &'a dyn Random,
    pub policy: &'a RotationPolicy,
    pub algs: &'a [SigningAlg],
}

/// Loads the keys, generates whatever the schedule says is due (first start included) and returns the
/// ring to sign with. The master key is checked against the existing keys before anything is written,
/// so a wrong master key never leaves keys sealed under two different master keys.
pub async fn load_ring(
    store: &dyn KeyStore,
    ctx: &KeyContext<'_>,
    now: DateTime<Utc>,
) -> Result<KeyRing, KeyError> {
    let mut keys = store.list_keys().await?;
    KeyRing::load(&keys, ctx.master, now)?;
    let due = due_generations(&keys, ctx.algs, now, ctx.policy);
    if !due.is_empty() {
        let new = seal_new(ctx, &due, now)?;
        let event = AuditEvent::new(now, Actor::system(), "keys.generated")
            .details(json!({ "kids": new.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>() }));
        store.save_keys(&new, &[], &event).await?;
        keys.extend(new);
    }
    KeyRing::load(&keys, ctx.master, now)
}

/// Operator rotation: successors published now, signing after the lead time (or at once when
/// `immediately`, for a compromised key). Returns the new keys' ids.
pub async fn rotate(
    store: &dyn KeyStore,
    ctx: &KeyContext<'_>,
    now: DateTime<Utc>,
    immediately: bool,
    actor: Actor,
) -> Result<Vec<String>, KeyError> {
    let keys = store.list_keys().await?;
    KeyRing::load(&keys, ctx.master, now)?;
    let (updates, due) = manual_rotation(&keys, ctx.algs, now, ctx.policy, immediately);
    let new = seal_new(ctx, &due, now)?;
    let kids: Vec<String> = new.iter().map(|k| k.kid.clone()).collect();
    let event = AuditEvent::new(now, actor, "keys.rotated").details(
        json!({ "new_kids": kids, "immediately": immediately, "superseded": updates.len() }),
    );
    store.save_keys(&new, &updates, &event).await?;
    Ok(kids)
}

fn seal_new(
    ctx: &KeyContext<'_>,
    due: &[(SigningAlg, KeyTimes)],
    now: DateTime<Utc>,
) -> Result<Vec<StoredKey>, KeyError> {
    // RSA generation dominates a first start and each key is independent: one thread per key.
    let generated: Vec<Result<GeneratedKey, KeyError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = due
            .iter()
            .map(|&(alg, _)| scope.spawn(move || generate(alg)))
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(KeyError::Crypto("key generation panicked".into())))
            })
            .collect()
    });
    due.iter()
        .zip(generated)
        .map(|(&(alg, times), key)| {
            let key = key?;
            let sealed = ctx.master.seal(ctx.random, &key.kid, &key.private_der)?;
            Ok(StoredKey {
                id: uuid::Uuid::now_v7(),
                kid: key.kid,
                alg,
                public_jwk: key.public_jwk,
                sealed,
                created_at: now,
                times,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::keys::KeyState;
    use crate::random::OsRandom;
    use crate::testing::MemoryStore;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    const POLICY: RotationPolicy = RotationPolicy {
        interval: Duration::days(90),
        lead: Duration::days(2),
        retention: Duration::days(1),
    };

    #[tokio::test]
    async fn first_load_creates_one_signing_key_per_algorithm_and_second_load_none() {
        let store = MemoryStore::default();
        let master = MasterKey::generate(&OsRandom);
        let ctx = KeyContext {
            master: &master,
            random: &OsRandom,
            policy: &POLICY,
            algs: &SigningAlg::ALL,
        };
        let ring = load_ring(&store, &ctx, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ring.algorithms().count(), 4);
        assert_eq!(store.keys().len(), 4);
        load_ring(&store, &ctx, t0() + Duration::hours(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.keys().len(), 4, "nothing was due");
        assert_eq!(store.events_named("keys.generated"), 1);
    }

    #[tokio::test]
    async fn a_wrong_master_key_writes_nothing() {
        let store = MemoryStore::default();
        let master = MasterKey::generate(&OsRandom);
        let ctx = KeyContext {
            master: &master,
            random: &OsRandom,
            policy: &POLICY,
            algs: &[SigningAlg::Es256],
        };
        load_ring(&store, &ctx, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let wrong = MasterKey::generate(&OsRandom);
        let later = t0() + Duration::days(89);
        let wrong_ctx = KeyContext {
            master: &wrong,
            ..ctx
        };
        assert!(matches!(
            load_ring(&store, &wrong_ctx, later).await,
            Err(KeyError::WrongMasterKey { .. })
        ));
        assert!(
            rotate(&store, &wrong_ctx, later, false, Actor::cli())
                .await
                .is_err()
        );
        assert_eq!(store.keys().len(), 1);
    }

    #[tokio::test]
    async fn rotation_publishes_the_successor_before_it_signs() {
        let store = MemoryStore::default();
        let master = MasterKey::generate(&OsRandom);
        let ctx = KeyContext {
            master: &master,
            random: &OsRandom,
            policy: &POLICY,
            algs: &[SigningAlg::Rs256],
        };
        let before = load_ring(&store, &ctx, t0())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let old_kid = before.signing_kid(SigningAlg::Rs256).map(str::to_owned);
        let new = rotate(&store, &ctx, t0(), false, Actor::cli())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let during = load_ring(&store, &ctx, t0() + Duration::days(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            during.signing_kid(SigningAlg::Rs256).map(str::to_owned),
            old_kid
        );
        assert!(String::from_utf8_lossy(during.jwks_json()).contains(&new[0]));
        let after = load_ring(&store, &ctx, t0() + Duration::days(2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(after.signing_kid(SigningAlg::Rs256), Some(new[0].as_str()));
        let old = store
            .keys()
            .into_iter()
            .find(|k| Some(&k.kid) == old_kid.as_ref());
        assert_eq!(
            old.map(|k| k.times.state_at(t0() + Duration::days(2))),
            Some(KeyState::Retiring)
        );
    }
}
