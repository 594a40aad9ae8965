//! Who may use the admin API: a bearer access token Valet issued (RFC 6750), live by every rule
//! introspection applies (RFC 7662: signature, expiry, revocation, grant, session, user, client),
//! carrying the `valet:admin` scope, and issued either to a user holding the admin role (the console)
//! or to a client through client credentials (automation).

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::audit::Actor;
use crate::issuer::Issuer;
use crate::keys::KeyRing;
use crate::ports::{OidcStore, StoreError};
use crate::token::introspect;
use crate::user::ADMIN_ROLE;

/// The scope an admin access token must carry.
pub const ADMIN_SCOPE: &str = "valet:admin";

/// An authorized caller of the admin API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminCaller {
    User { id: Uuid },
    Service { client_id: String },
}

impl AdminCaller {
    /// Who audit events name.
    pub fn actor(&self) -> Actor {
        match self {
            Self::User { id } => Actor::user(*id),
            Self::Service { client_id } => Actor::client(client_id),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdminAuthError {
    /// RFC 6750 §3.1 `invalid_token`: 401.
    #[error("the access token is missing, invalid, expired or revoked")]
    InvalidToken,
    /// RFC 6750 §3.1 `insufficient_scope`: 403.
    #[error("the access token lacks the valet:admin scope")]
    InsufficientScope,
    /// 403: a valid token, but its user is not an administrator.
    #[error("the user is not an administrator")]
    NotAdmin,
    #[error("storage failure: {0}")]
    Store(String),
}

impl From<StoreError> for AdminAuthError {
    fn from(e: StoreError) -> Self {
        Self::Store(e.to_string())
    }
}

/// Decides whether `token` may use the admin API.
pub async fn authorize_admin(
    token: &str,
    issuer: &Issuer,
    ring: &KeyRing,
    store: &dyn OidcStore,
    now: DateTime<Utc>,
) -> Result<AdminCaller, AdminAuthError> {
    let claims = introspect(token, issuer, ring, store, now).await?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let live_access_token = claims.get("active") == Some(&Value::Bool(true))
        && text("token_type").as_deref() == Some("Bearer");
    if !live_access_token {
        return Err(AdminAuthError::InvalidToken);
    }
    let scope = text("scope").unwrap_or_default();
    if !scope.split(' ').any(|s| s == ADMIN_SCOPE) {
        return Err(AdminAuthError::InsufficientScope);
    }
    if text("grant_id").is_none() {
        // Client credentials: the token's subject is the client itself.
        let client_id = text("client_id").unwrap_or_default();
        return Ok(AdminCaller::Service { client_id });
    }
    let id = text("sub")
        .and_then(|sub| Uuid::parse_str(&sub).ok())
        .ok_or(AdminAuthError::InvalidToken)?;
    let user = store.find_user_by_id(id).await?;
    match user {
        Some(user) if user.roles.contains(ADMIN_ROLE) => Ok(AdminCaller::User { id }),
        Some(_) => Err(AdminAuthError::NotAdmin),
        None => Err(AdminAuthError::InvalidToken),
    }
}
