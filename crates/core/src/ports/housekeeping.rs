//! Port for removing rows that no rule will ever read again.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// How many rows a purge removed, per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub interactions: u64,
    pub codes: u64,
    pub assertions: u64,
    pub revoked_access_tokens: u64,
    /// Deliveries that ended (delivered or failed) more than `OUTBOX_RETENTION` ago.
    pub deliveries: u64,
    /// Sign-in throttle counters whose window has passed.
    pub throttles: u64,
    /// Self-registered accounts whose activation link expired unused (they never signed in).
    pub abandoned_signups: u64,
    /// Mailed links past their expiry.
    pub account_links: u64,
}

/// How long finished deliveries stay visible (the admin console shows their status).
pub const OUTBOX_RETENTION: chrono::Duration = chrono::Duration::days(30);

#[async_trait]
pub trait HousekeepingStore: Send + Sync {
    /// Deletes expired interactions, used-assertion records and revoked access-token ids, codes that
    /// expired before `codes_before` (kept longer so a late replay can still revoke what it issued),
    /// deliveries that finished more than `OUTBOX_RETENTION` ago, and sign-in throttle counters
    /// without a failure for longer than every throttle window.
    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        codes_before: DateTime<Utc>,
    ) -> Result<Purged, StoreError>;
}
