//! Signing what the token endpoint hands out, and the response it sends (RFC 6749 §5.1).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{ACCESS_TOKEN_TYP, AccessTokenClaims, IdTokenClaims, TokenError};
use crate::issuer::Issuer;
use crate::keys::{KeyRing, SigningAlg};
use crate::oauth_error::OAuthErrorCode;
use crate::random::{Random, opaque_token};

/// The signing context of one request.
pub struct Minter<'a> {
    pub issuer: &'a Issuer,
    pub ring: &'a KeyRing,
    pub random: &'a dyn Random,
    pub now: DateTime<Utc>,
}

/// RFC 6749 §5.1; `id_token` per OIDC Core §3.1.3.3.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl Minter<'_> {
    fn sign(
        &self,
        alg: SigningAlg,
        typ: &str,
        claims: &impl Serialize,
    ) -> Result<String, TokenError> {
        let payload = serde_json::to_vec(claims)
            .map_err(|e| TokenError::new(OAuthErrorCode::ServerError, e.to_string()))?;
        self.ring.sign(alg, typ, &payload).map_err(|e| {
            TokenError::new(
                OAuthErrorCode::ServerError,
                format!("cannot sign with {alg}: {e}"),
            )
        })
    }

    /// A fresh `jti`: 128 random bits.
    pub fn jti(&self) -> String {
        opaque_token(self.random, 16)
    }

    /// An RFC 9068 access token; `claims.iat`/`exp` are set from `ttl` here.
    pub fn access_token(
        &self,
        alg: SigningAlg,
        mut claims: AccessTokenClaims,
        ttl: Duration,
    ) -> Result<(String, AccessTokenClaims), TokenError> {
        claims.iat = self.now.timestamp();
        claims.exp = (self.now + ttl).timestamp();
        let jwt = self.sign(alg, ACCESS_TOKEN_TYP, &claims)?;
        Ok((jwt, claims))
    }

    pub fn id_token(
        &self,
        alg: SigningAlg,
        mut claims: IdTokenClaims,
        ttl: Duration,
    ) -> Result<String, TokenError> {
        claims.iat = self.now.timestamp();
        claims.exp = (self.now + ttl).timestamp();
        self.sign(alg, "JWT", &claims)
    }

    pub fn issuer(&self) -> String {
        self.issuer.as_str().to_owned()
    }
}
