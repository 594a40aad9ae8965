//! The sign-in throttle's counters through the port, on SQLite and PostgreSQL: concurrent failures
//! all count, blocks follow the policy, a success clears, and housekeeping forgets stale counters.

use std::sync::Arc;

use chrono::Duration;
use valet_core::ports::{HousekeepingStore, ThrottleStore};
use valet_core::throttle::{ThrottlePolicy, account_key};

#[macro_use]
mod common;
use common::{fresh, now};

async fn concurrent_failures_all_count_and_block_by_the_policy(postgres: bool) {
    let db = Arc::new(fresh(postgres).await);
    let key = account_key("Alice");
    let t = now();
    let attempts: Vec<_> = (0..10)
        .map(|_| {
            let (db, key) = (Arc::clone(&db), key.clone());
            tokio::spawn(async move { db.record_failure(&key, t, &ThrottlePolicy::ACCOUNT).await })
        })
        .collect();
    for attempt in attempts {
        attempt
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let states = db
        .throttle_states(&[&key, "ip:192.0.2.1"])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(states.len(), 1, "only the counted key: {states:?}");
    let state = states
        .get(&key)
        .cloned()
        .unwrap_or_else(|| panic!("counted"));
    assert_eq!(state.failures, 10, "no failure lost to a race");
    assert_eq!(
        state.retry_after(t),
        ThrottlePolicy::ACCOUNT.block_after(10),
        "10 failures: 5 free, then 2 s doubled four times"
    );

    let purged = db
        .purge_expired(t + Duration::minutes(30), t)
        .await
        .unwrap_or_default();
    assert_eq!(purged.throttles, 0, "still within the window");
    db.clear_throttle(&key)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        db.throttle_states(&[&key]).await.ok().map(|s| s.len()),
        Some(0)
    );

    db.record_failure(&key, t, &ThrottlePolicy::ACCOUNT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let purged = db
        .purge_expired(t + Duration::hours(2), t)
        .await
        .unwrap_or_default();
    assert_eq!(purged.throttles, 1, "forgotten after the window");
}

on_both!(concurrent_failures_all_count_and_block_by_the_policy);
