//! The UserInfo endpoint's rule (OIDC Core §5.3, RFC 6750 §3.1): a bearer access token that Valet
//! signed, unexpired, not revoked, whose grant, session and user all still stand, and that carries the
//! `openid` scope. Claims follow the granted scopes plus what the `claims` parameter asked for userinfo.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::authorize::ClaimsRequest;
use crate::claims::{release, subject};
use crate::client::{Client, ClientId};
use crate::issuer::Issuer;
use crate::keys::KeyRing;
use crate::oauth_error::OAuthErrorCode;
use crate::ports::{OidcStore, StoreError};
use crate::token::{ACCESS_TOKEN_TYP, AccessTokenClaims};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UserinfoError {
    /// RFC 6750 §3.1 `invalid_token` (401).
    #[error("{0}")]
    InvalidToken(&'static str),
    /// RFC 6750 §3.1 `insufficient_scope` (403).
    #[error("the access token lacks the openid scope")]
    InsufficientScope,
    #[error("storage failure: {0}")]
    Store(String),
}

impl UserinfoError {
    pub fn code(&self) -> OAuthErrorCode {
        match self {
            Self::InvalidToken(_) => OAuthErrorCode::InvalidToken,
            Self::InsufficientScope => OAuthErrorCode::InsufficientScope,
            Self::Store(_) => OAuthErrorCode::ServerError,
        }
    }
}

impl From<StoreError> for UserinfoError {
    fn from(e: StoreError) -> Self {
        Self::Store(e.to_string())
    }
}

/// The claims, and the client they are for (its `userinfo_signed_response_alg` decides the format).
pub struct Userinfo {
    pub client: Client,
    pub claims: Map<String, Value>,
}

/// Checks the token; an access token that names no grant (client credentials) has no user to describe.
pub async fn userinfo(
    token: &str,
    issuer: &Issuer,
    ring: &KeyRing,
    store: &dyn OidcStore,
    now: DateTime<Utc>,
) -> Result<Userinfo, UserinfoError> {
    let invalid = UserinfoError::InvalidToken;
    let payload = ring
        .verify(token, ACCESS_TOKEN_TYP)
        .map_err(|_| invalid("the access token is not one Valet signed"))?;
    let at: AccessTokenClaims =
        serde_json::from_slice(&payload).map_err(|_| invalid("the access token is malformed"))?;
    if at.iss != issuer.as_str() {
        return Err(invalid("the access token was issued by another issuer"));
    }
    if at.exp <= now.timestamp() {
        return Err(invalid("the access token has expired"));
    }
    if store.is_access_token_revoked(&at.jti).await? {
        return Err(invalid("the access token was revoked"));
    }
    let grant_id = at.grant_id.as_deref().and_then(|g| Uuid::parse_str(g).ok());
    let grant = match grant_id {
        Some(id) => store.find_grant(id).await?.filter(|g| g.is_live()),
        None => None,
    };
    let grant = grant.ok_or(invalid("the grant behind the access token was revoked"))?;
    if let Some(sid) = at.sid.as_deref().and_then(|s| Uuid::parse_str(s).ok()) {
        let live = store
            .find_session_by_id(sid)
            .await?
            .is_some_and(|s| s.is_active(now));
        if !live {
            return Err(invalid(
                "the login session behind the access token has ended",
            ));
        }
    }
    let user = store
        .find_user_by_id(grant.user_id)
        .await?
        .filter(|u| !u.disabled);
    let user = user.ok_or(invalid("the user is disabled or deleted"))?;
    let client_id =
        ClientId::parse(&at.client_id).map_err(|_| invalid("the access token is malformed"))?;
    let client = store
        .find_client(&client_id)
        .await?
        .filter(|c| !c.metadata.disabled && c.id == grant.client);
    let client = client.ok_or(invalid("the client is disabled or deleted"))?;
    if !at.scopes().any(|s| s == "openid") {
        return Err(UserinfoError::InsufficientScope);
    }
    let requested = grant
        .claims
        .clone()
        .and_then(|c| ClaimsRequest::from_json(c).ok());
    let mut claims = Map::new();
    claims.insert("sub".into(), Value::String(subject(&user)));
    claims.extend(release(
        &user,
        at.scopes(),
        requested.iter().flat_map(|r| r.userinfo_names()),
    ));
    Ok(Userinfo { client, claims })
}
