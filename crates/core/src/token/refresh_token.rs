//! The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).
//!
//! Every use rotates the token within its chain. A token presented after it was rotated means two
//! parties hold it: the whole chain is revoked (that chain only: other devices keep theirs) and the
//! reuse is audited (`refresh_token.reused`). A refresh may narrow the scope of the tokens it issues,
//! never widen it; the chain keeps the scope originally granted, its absolute lifetime and the
//! original auth_time.

use serde_json::json;
use uuid::Uuid;

use super::mint::{Minter, TokenResponse};
use super::user_tokens::{self, UserTokens, live_user, require_grant_type};
use super::{Lifetimes, TokenError};
use crate::audit::{Actor, AuditEvent};
use crate::client::{Client, GrantType};
use crate::keys::SigningAlg;
use crate::oauth_error::OAuthErrorCode;
use crate::params::Params;
use crate::ports::OidcStore;
use crate::refresh::{RefreshToken, RefreshTokenValue};

pub async fn refresh(
    minter: &Minter<'_>,
    lifetimes: &Lifetimes,
    access_token_alg: SigningAlg,
    store: &dyn OidcStore,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    require_grant_type(client, GrantType::RefreshToken)?;
    let presented = params
        .get("refresh_token")?
        .ok_or_else(|| TokenError::invalid_request("refresh_token is required"))?;
    let now = minter.now;
    let token = store
        .find_refresh_token(&RefreshTokenValue::parse(presented).hash())
        .await?;
    let token = token.ok_or_else(|| TokenError::invalid_grant("the refresh token is unknown"))?;
    if token.client != client.id {
        return Err(TokenError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if token.revoked_at.is_some() {
        return Err(TokenError::invalid_grant("the refresh token was revoked"));
    }
    if token.rotated_at.is_some() {
        return Err(reuse(store, &token, minter).await?);
    }
    if now >= token.expires_at || token.idle_expires_at.is_some_and(|idle| now >= idle) {
        return Err(TokenError::invalid_grant("the refresh token has expired"));
    }
    let scopes = narrowed(&token, params.get("scope")?)?;
    let user = live_user(store, token.grant_id, token.user_id, token.session_id, now).await?;

    let value = RefreshTokenValue::generate(minter.random);
    let next = RefreshToken {
        id: Uuid::now_v7(),
        parent_id: Some(token.id),
        // The chain keeps the scope originally granted: a later refresh without `scope` gets all of it
        // back (RFC 6749 §6); narrowing applies to the tokens issued now.
        scopes: token.scopes.clone(),
        created_at: now,
        idle_expires_at: lifetimes.refresh_token_idle.map(|idle| now + idle),
        rotated_at: None,
        revoked_at: None,
        ..token.clone()
    };
    if !store
        .rotate_refresh_token(token.id, now, &next, &value.hash())
        .await?
    {
        // Another request rotated it a moment ago: the same token was presented twice.
        return Err(reuse(store, &token, minter).await?);
    }

    let tokens = UserTokens {
        user: &user,
        client,
        grant_id: token.grant_id,
        session_id: token.session_id,
        auth_time: token.auth_time,
        scopes: &scopes,
        nonce: None,
        acr: None,
        amr: vec![],
        id_token_claims: Default::default(),
    };
    let (access_token, access, id_token) =
        user_tokens::mint(minter, lifetimes, access_token_alg, tokens)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetimes.access_token.num_seconds(),
        scope: access.scope,
        id_token,
        refresh_token: Some(value.expose().to_owned()),
    })
}

/// RFC 6749 §6: the requested scope must be a subset of what the token carries.
fn narrowed(token: &RefreshToken, requested: Option<&str>) -> Result<Vec<String>, TokenError> {
    let Some(requested) = requested else {
        return Ok(token.scopes.clone());
    };
    let mut scopes = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !token.scopes.iter().any(|s| s == scope) {
            return Err(TokenError::new(
                OAuthErrorCode::InvalidScope,
                format!("`{scope}` was not granted to this refresh token"),
            ));
        }
        if !scopes.iter().any(|s: &String| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    if scopes.is_empty() {
        return Err(TokenError::new(
            OAuthErrorCode::InvalidScope,
            "scope must not be empty",
        ));
    }
    Ok(scopes)
}

/// Reuse detected: the chain dies and the caller gets `invalid_grant`.
async fn reuse(
    store: &dyn OidcStore,
    token: &RefreshToken,
    minter: &Minter<'_>,
) -> Result<TokenError, TokenError> {
    let revoked = store
        .revoke_refresh_chain(token.chain_id, minter.now)
        .await?;
    let event = AuditEvent::new(minter.now, Actor::system(), "refresh_token.reused")
        .target("grant", token.grant_id.to_string())
        .details(json!({
            "chain_id": token.chain_id,
            "client": token.client,
            "user_id": token.user_id,
            "revoked_refresh_tokens": revoked,
        }));
    store.record_event(&event).await?;
    Ok(TokenError::invalid_grant(
        "the refresh token was already used; its chain is revoked",
    ))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration};

    use super::*;

    fn token(scopes: &[&str]) -> RefreshToken {
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        RefreshToken {
            id: Uuid::now_v7(),
            chain_id: Uuid::now_v7(),
            parent_id: None,
            grant_id: Uuid::now_v7(),
            client: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            session_id: None,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            auth_time: t,
            created_at: t,
            expires_at: t + Duration::days(30),
            idle_expires_at: None,
            rotated_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn a_refresh_may_narrow_but_never_widen_the_scope() {
        let t = token(&["openid", "email", "offline_access"]);
        assert_eq!(narrowed(&t, None).ok(), Some(t.scopes.clone()));
        assert_eq!(
            narrowed(&t, Some("openid email email")).ok(),
            Some(vec!["openid".to_owned(), "email".to_owned()])
        );
        assert_eq!(
            narrowed(&t, Some("openid phone")).err().map(|e| e.code),
            Some(OAuthErrorCode::InvalidScope)
        );
        assert_eq!(
            narrowed(&t, Some(" ")).err().map(|e| e.code),
            Some(OAuthErrorCode::InvalidScope)
        );
    }
}
