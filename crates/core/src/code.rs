//! Authorization codes (RFC 6749 §4.1.2, OIDC Core §3.1.2.5): 256-bit, single-use, short-lived, stored
//! hashed, and bound to the client, redirect URI, PKCE challenge, nonce, session and grant.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::secret::opaque_secret;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub id: Uuid,
    pub grant_id: Uuid,
    /// The client's row id.
    pub client: Uuid,
    pub user_id: Uuid,
    pub session_id: Option<Uuid>,
    pub redirect_uri: String,
    /// Whether the authorization request named the redirect URI (then the token request must too).
    pub redirect_uri_given: bool,
    /// The S256 challenge, when PKCE was used.
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub scopes: Vec<String>,
    /// The OIDC Core §5.5 `claims` request, as JSON.
    pub claims: Option<serde_json::Value>,
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<String>,
    pub acr: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub consumed_at: Option<DateTime<Utc>>,
    /// What the first redemption issued, to revoke on a replay.
    pub issued_access_token_jti: Option<String>,
    pub issued_refresh_chain_id: Option<Uuid>,
}

opaque_secret!(
    /// The code as handed to the client; prints as `***`.
    CodeValue
);

/// The outcome of presenting a code to the token endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redemption {
    /// First use: the code is now consumed.
    Fresh(AuthorizationCode),
    /// Already consumed: a replay (RFC 6749 §4.1.2 — revoke what the first use issued).
    Replayed(AuthorizationCode),
    Unknown,
}

impl AuthorizationCode {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}
