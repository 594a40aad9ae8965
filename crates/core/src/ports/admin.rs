//! Ports the admin API needs beyond the flows': keyset-paginated listings and searches, whole-object
//! updates and deletions with their audit events, and the overview's counts.
//!
//! Every listing is keyset-paginated (`after` is the last key of the previous page, never an offset),
//! so a page costs the same on page 1 and page 10,000.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::StoreError;
use crate::audit::AuditEvent;
use crate::client::Client;
use crate::grant::Grant;
use crate::session::Session;
use crate::user::User;

/// Which grants a listing shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GrantFilter {
    pub user_id: Option<Uuid>,
    /// The client's row id.
    pub client: Option<Uuid>,
    pub live_only: bool,
}

/// A grant with what the console shows next to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantSummary {
    pub grant: Grant,
    /// Refresh tokens that can still be used (neither rotated, revoked nor expired).
    pub live_refresh_tokens: u64,
}

/// Which audit events a listing shows; every member narrows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// An audit event as stored (the in-flight `AuditEvent` has `&'static str` fields).
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub details: Value,
}

/// The overview's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub users: u64,
    pub clients: u64,
    pub live_grants: u64,
    pub active_sessions: u64,
    pub failed_notifications: u64,
    pub pending_notifications: u64,
}

#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Users ordered by username, after `after` (a username). `query` matches a username or email
    /// prefix, or a part of the name, case-insensitively.
    async fn page_users(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<User>, StoreError>;
    /// Clients ordered by client_id, after `after` (a client_id). `query` matches a client_id prefix or
    /// a part of the name, case-insensitively.
    async fn page_clients(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Client>, StoreError>;
    /// Grants newest first, before `before` (a grant id, which is time-ordered).
    async fn page_grants(
        &self,
        filter: GrantFilter,
        before: Option<Uuid>,
        limit: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<GrantSummary>, StoreError>;
    /// Audit events newest first, before `before` (an event id, which is time-ordered).
    async fn page_audit(
        &self,
        filter: &AuditFilter,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<AuditRecord>, StoreError>;
    /// The user's sessions newest first, before `before` (a session id, which is time-ordered);
    /// active ones only when asked.
    async fn user_sessions(
        &self,
        user_id: Uuid,
        active_only: bool,
        before: Option<Uuid>,
        limit: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, StoreError>;
    /// Rewrites a user's claims and roles (not the password, nor the disabled flag: only disabling
    /// and enabling change that, so an edit racing a disable cannot undo it), with its event.
    async fn update_user(&self, user: &User, event: &AuditEvent) -> Result<(), StoreError>;
    /// Deletes a user and, by cascade, everything of theirs; run the revocation cascade first so
    /// relying parties are told.
    async fn delete_user(&self, id: Uuid, event: &AuditEvent) -> Result<(), StoreError>;
    /// Rewrites a client's metadata (not its secret, nor the disabled flag), with its event.
    async fn update_client(&self, client: &Client, event: &AuditEvent) -> Result<(), StoreError>;
    async fn delete_client(&self, id: Uuid, event: &AuditEvent) -> Result<(), StoreError>;
    async fn counts(&self, now: DateTime<Utc>) -> Result<Counts, StoreError>;
    /// The clients with these row ids (those that exist), in one query.
    async fn clients_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Client>, StoreError>;
    /// Whether an enabled user other than `except` holds `role` (so `except` is not the last admin).
    async fn has_other_enabled_with_role(
        &self,
        role: &str,
        except: Uuid,
    ) -> Result<bool, StoreError>;
}
