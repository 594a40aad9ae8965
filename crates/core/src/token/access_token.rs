//! JWT access tokens (RFC 9068): `typ: at+jwt`, with a `jti` for revocation and a grant reference so
//! introspection and userinfo can ask whether the grant still stands.

use serde::{Deserialize, Serialize};

pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    /// The user's id, or the client's `client_id` for client credentials (RFC 9068 §2.2).
    pub sub: String,
    /// The resource: Valet's own issuer (userinfo) unless resource indicators say otherwise.
    pub aud: String,
    pub client_id: String,
    pub scope: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
}

impl AccessTokenClaims {
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|s| !s.is_empty())
    }
}
