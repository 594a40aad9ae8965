//! The port behind two-step verification: a user's TOTP factor (pending, then confirmed), its last
//! accepted step and the recovery codes. As for `AccountStore`, every change is written with its
//! audit event in one transaction and every "use once" is a compare-and-set.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::account::{MfaState, QueuedMail};
use crate::audit::AuditEvent;
use crate::secret::SecretHash;

#[async_trait]
pub trait SecondFactorStore: Send + Sync {
    async fn mfa(&self, user_id: Uuid) -> Result<MfaState, StoreError>;
    /// Starts (or restarts) an enrolment: a new secret, not yet confirmed. Refused (false) while a
    /// confirmed factor exists; it must be removed first.
    async fn begin_totp(&self, user_id: Uuid, sealed: &str) -> Result<bool, StoreError>;
    /// Confirms the pending secret `sealed` (the one the code was checked against: a restarted
    /// enrolment is not confirmed by mistake) whose first code matched `step`, replacing the
    /// recovery codes.
    async fn confirm_totp(
        &self,
        user_id: Uuid,
        sealed: &str,
        step: i64,
        recovery: &[SecretHash],
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// Accepts `step` if it is later than the last accepted one (compare-and-set).
    async fn advance_totp_step(&self, user_id: Uuid, step: i64) -> Result<bool, StoreError>;
    /// Uses the unused recovery code with this hash; false when there is none.
    async fn use_recovery_code(
        &self,
        user_id: Uuid,
        hash: &SecretHash,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError>;
    async fn replace_recovery_codes(
        &self,
        user_id: Uuid,
        recovery: &[SecretHash],
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Removes the factor (confirmed or pending) and its recovery codes, with `event` and, when
    /// given, a notice to the user queued in the same transaction. False (nothing written) when
    /// there was no factor: of two concurrent removals, one does it.
    async fn remove_mfa(
        &self,
        user_id: Uuid,
        at: DateTime<Utc>,
        event: &AuditEvent,
        notice: Option<(&QueuedMail, &AuditEvent)>,
    ) -> Result<bool, StoreError>;
}
