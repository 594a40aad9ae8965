//! The audit log as the API shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEventView {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// `cli`, `system`, `provision`, `user:<id>` or `client:<client_id>`.
    pub actor: String,
    /// A dotted verb, e.g. `grants.revoked`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Counts and non-secret facts.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: Value,
}
