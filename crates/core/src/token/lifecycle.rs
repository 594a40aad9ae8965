//! Introspection (RFC 7662) and revocation (RFC 7009) of the tokens Valet issued.
//!
//! Introspection answers `active: true` only while everything behind a token stands: its signature,
//! expiry and revocation, the grant, the login session (for session-bound tokens), the user and the
//! client. Revoking a refresh token revokes its chain and nothing else: other chains of the same grant
//! (other devices, other tabs) keep working; revoking the grant is the operation that ends them all.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{ACCESS_TOKEN_TYP, AccessTokenClaims, TokenError};
use crate::client::{Client, ClientId};
use crate::issuer::Issuer;
use crate::keys::KeyRing;
use crate::ports::{OidcStore, StoreError};
use crate::refresh::{RefreshToken, RefreshTokenValue};

/// What was presented, once recognised.
enum Presented {
    Access(AccessTokenClaims),
    Refresh(RefreshToken),
    Unknown,
}

async fn recognise(
    token: &str,
    issuer: &Issuer,
    ring: &KeyRing,
    store: &dyn OidcStore,
) -> Result<Presented, StoreError> {
    if let Ok(payload) = ring.verify(token, ACCESS_TOKEN_TYP) {
        if let Ok(claims) = serde_json::from_slice::<AccessTokenClaims>(&payload)
            && claims.iss == issuer.as_str()
        {
            return Ok(Presented::Access(claims));
        }
        return Ok(Presented::Unknown);
    }
    Ok(
        match store
            .find_refresh_token(&RefreshTokenValue::parse(token).hash())
            .await?
        {
            Some(refresh) => Presented::Refresh(refresh),
            None => Presented::Unknown,
        },
    )
}

/// Whether the grant, session and user behind a token still stand, and the client is enabled.
async fn backed(
    store: &dyn OidcStore,
    grant_id: Option<Uuid>,
    session_id: Option<Uuid>,
    client: Option<&Client>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if client.is_none_or(|c| c.metadata.disabled) {
        return Ok(false);
    }
    let Some(grant_id) = grant_id else {
        return Ok(true);
    };
    let Some(grant) = store.find_grant(grant_id).await?.filter(|g| g.is_live()) else {
        return Ok(false);
    };
    if let Some(session_id) = session_id
        && !store
            .find_session_by_id(session_id)
            .await?
            .is_some_and(|s| s.is_active(now))
    {
        return Ok(false);
    }
    Ok(store
        .find_user_by_id(grant.user_id)
        .await?
        .is_some_and(|u| !u.disabled))
}

fn uuid(text: Option<&str>) -> Option<Uuid> {
    text.and_then(|t| Uuid::parse_str(t).ok())
}

/// RFC 7662 §2.2: `{"active": false}` for anything not (or no longer) valid, else the token's claims.
pub async fn introspect(
    token: &str,
    issuer: &Issuer,
    ring: &KeyRing,
    store: &dyn OidcStore,
    now: DateTime<Utc>,
) -> Result<Value, StoreError> {
    let inactive = json!({ "active": false });
    match recognise(token, issuer, ring, store).await? {
        Presented::Access(at) => {
            if at.exp <= now.timestamp() || store.is_access_token_revoked(&at.jti).await? {
                return Ok(inactive);
            }
            let client = match ClientId::parse(&at.client_id) {
                Ok(id) => store.find_client(&id).await?,
                Err(_) => None,
            };
            if !backed(
                store,
                uuid(at.grant_id.as_deref()),
                uuid(at.sid.as_deref()),
                client.as_ref(),
                now,
            )
            .await?
            {
                return Ok(inactive);
            }
            let mut claims = match serde_json::to_value(&at) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            };
            claims.insert("active".into(), Value::Bool(true));
            claims.insert("token_type".into(), Value::String("Bearer".into()));
            Ok(Value::Object(claims))
        }
        Presented::Refresh(rt) => {
            let expired =
                now >= rt.expires_at || rt.idle_expires_at.is_some_and(|idle| now >= idle);
            if rt.revoked_at.is_some() || rt.rotated_at.is_some() || expired {
                return Ok(inactive);
            }
            let client = store.find_client_by_id(rt.client).await?;
            if !backed(
                store,
                Some(rt.grant_id),
                rt.session_id,
                client.as_ref(),
                now,
            )
            .await?
            {
                return Ok(inactive);
            }
            let client_id = client
                .map(|c| c.client_id.as_str().to_owned())
                .unwrap_or_default();
            Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "scope": rt.scopes.join(" "),
                "client_id": client_id,
                "sub": rt.user_id.to_string(),
                "iss": issuer.as_str(),
                "iat": rt.created_at.timestamp(),
                "exp": rt.expires_at.timestamp(),
            }))
        }
        Presented::Unknown => Ok(inactive),
    }
}

/// RFC 7009 §2.1: revokes a token the calling client owns; unknown or already invalid tokens are a
/// success (§2.2), a token of another client is refused and left alone.
pub async fn revoke(
    token: &str,
    caller: &Client,
    issuer: &Issuer,
    ring: &KeyRing,
    store: &dyn OidcStore,
    now: DateTime<Utc>,
) -> Result<(), TokenError> {
    let not_yours = || TokenError::invalid_request("the token was not issued to this client");
    match recognise(token, issuer, ring, store).await? {
        Presented::Access(at) => {
            if at.client_id != caller.client_id.as_str() {
                return Err(not_yours());
            }
            let expires_at = DateTime::from_timestamp(at.exp, 0).unwrap_or(now);
            if expires_at > now {
                store
                    .revoke_access_token(&at.jti, uuid(at.grant_id.as_deref()), expires_at, now)
                    .await?;
            }
        }
        Presented::Refresh(rt) => {
            if rt.client != caller.id {
                return Err(not_yours());
            }
            store.revoke_refresh_chain(rt.chain_id, now).await?;
        }
        Presented::Unknown => {}
    }
    Ok(())
}
