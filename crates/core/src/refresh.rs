//! Refresh tokens (RFC 6749 §6): opaque 256-bit values stored hashed, each in a chain that rotation
//! extends and reuse detection revokes (RFC 9700 §4.14).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::secret::opaque_secret;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshToken {
    pub id: Uuid,
    pub chain_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub grant_id: Uuid,
    /// The client's row id.
    pub client: Uuid,
    pub user_id: Uuid,
    /// Set for tokens bound to a browser session (no `offline_access`): they die with it.
    pub session_id: Option<Uuid>,
    pub scopes: Vec<String>,
    pub auth_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub idle_expires_at: Option<DateTime<Utc>>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

opaque_secret!(
    /// The value handed to the client; prints as `***`.
    RefreshTokenValue
);
