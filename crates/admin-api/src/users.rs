//! Users: listing, the profile the console edits (OIDC Core §5.1 claims and roles), passwords.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    /// OIDC Core §5.1 standard claims that are set (`email`, `name`, …).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub claims: Map<String, Value>,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    /// At least 8 characters; generated and returned once when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub claims: Map<String, Value>,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// What an update changes; absent members stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Replaces every standard claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub claims: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    /// At least 8 characters; generated and returned once when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

// Passwords never reach a log line through Debug (CONVENTIONS §9).
impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("claims", &self.claims)
            .field("roles", &self.roles)
            .finish()
    }
}

impl std::fmt::Debug for PasswordInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordInput")
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// A user's two-step verification, as `GET /users/{id}/mfa` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaView {
    /// An authenticator app is confirmed: every sign-in asks for its code.
    pub enabled: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
}
