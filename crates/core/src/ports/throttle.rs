//! Port for the sign-in throttle's counters.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::throttle::{ThrottlePolicy, ThrottleState};

#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// The counters of those `keys` that have one (one read for all of an attempt's keys).
    async fn throttle_states(
        &self,
        keys: &[&str],
    ) -> Result<BTreeMap<String, ThrottleState>, StoreError>;
    /// Counts one failure for `key` atomically (`ThrottleState::after_failure`) and returns the new
    /// state; concurrent failures are all counted.
    async fn record_failure(
        &self,
        key: &str,
        at: DateTime<Utc>,
        policy: &ThrottlePolicy,
    ) -> Result<ThrottleState, StoreError>;
    async fn clear_throttle(&self, key: &str) -> Result<(), StoreError>;
}
