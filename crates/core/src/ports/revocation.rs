//! Ports for the revocation cascade, the outbox it fills, and audit events written on their own.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::audit::AuditEvent;
use crate::outbox::{DeliveryOutcome, OutboxMessage, OutboxStatus};
use crate::revocation::{Cascade, CascadeReport};

#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Runs the whole cascade in one transaction: revokes what `cascade` selects, queues the logout
    /// tokens `crate::revocation::logout_notifications` calls for, and writes `event` with the counts
    /// in its details. A dry run computes the same report and changes nothing.
    async fn cascade(
        &self,
        cascade: &Cascade,
        at: DateTime<Utc>,
        event: &AuditEvent,
        dry_run: bool,
    ) -> Result<CascadeReport, StoreError>;
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` due pending messages: each claim counts an attempt and moves the next
    /// attempt to `now + lease`, so exactly one replica sends a message at a time, and a claim a crash
    /// abandoned expires by itself.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Claims these messages if they are due (for sending right away, e.g. during a logout).
    async fn claim(
        &self,
        ids: &[Uuid],
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Records how the claim that made attempt number `attempt` ended; a late answer to an older,
    /// expired claim changes nothing (another replica has retried since).
    async fn record_delivery(
        &self,
        id: Uuid,
        attempt: u32,
        outcome: &DeliveryOutcome,
    ) -> Result<(), StoreError>;
    /// Newest first, before `before` (an id: ids are time-ordered); `status` filters.
    async fn list_outbox(
        &self,
        status: Option<OutboxStatus>,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records an event that accompanies no other write (e.g. a detected refresh token reuse).
    async fn record_event(&self, event: &AuditEvent) -> Result<(), StoreError>;
}
