//! Sessions, grants, and what a revocation cut.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantView {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The client's OAuth `client_id`.
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    pub live_refresh_tokens: u64,
}

/// What a revocation cut (or, for a dry run, would cut).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevocationView {
    pub dry_run: bool,
    pub grants: u64,
    pub refresh_tokens: u64,
    pub codes: u64,
    pub sessions: u64,
    /// Back-channel logout tokens queued (or that would be).
    pub notification_count: u64,
    /// Their outbox ids, to follow their delivery (empty in a dry run).
    pub notifications: Vec<Uuid>,
    /// True when nothing was left to revoke: the request changed nothing.
    pub nothing_to_revoke: bool,
}
