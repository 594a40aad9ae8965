//! What the two user grants (authorization code, refresh token) share: checking that everything behind
//! the tokens still stands, and minting the access token and ID token for a user.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::mint::Minter;
use super::{AccessTokenClaims, IdTokenClaims, Lifetimes, TokenError, token_hash};
use crate::claims::subject;
use crate::client::{Client, GrantType};
use crate::keys::SigningAlg;
use crate::oauth_error::OAuthErrorCode;
use crate::ports::OidcStore;
use crate::refresh::{RefreshToken, RefreshTokenValue};
use crate::user::User;

/// RFC 6749 §5.2 `unauthorized_client` unless the client registered `grant`.
pub(super) fn require_grant_type(client: &Client, grant: GrantType) -> Result<(), TokenError> {
    if client.metadata.grant_types.contains(&grant) {
        Ok(())
    } else {
        Err(TokenError::new(
            OAuthErrorCode::UnauthorizedClient,
            format!("this client may not use the {grant} grant"),
        ))
    }
}

/// The user, when the grant is unrevoked, the user enabled and (for session-bound tokens) the session
/// still active; the grant's use is recorded (its `last_used_at`, at most every few minutes).
pub(super) async fn live_user(
    store: &dyn OidcStore,
    grant_id: Uuid,
    user_id: Uuid,
    session_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<User, TokenError> {
    let grant = store.find_grant(grant_id).await?.filter(|g| g.is_live());
    let grant = grant
        .ok_or_else(|| TokenError::invalid_grant("the grant behind this request was revoked"))?;
    let user = store
        .find_user_by_id(user_id)
        .await?
        .filter(|u| !u.disabled);
    let user = user.ok_or_else(|| TokenError::invalid_grant("the user is disabled or deleted"))?;
    if let Some(session_id) = session_id {
        let live = store
            .find_session_by_id(session_id)
            .await?
            .is_some_and(|s| s.is_active(now));
        if !live {
            return Err(TokenError::invalid_grant(
                "the login session behind this request has ended",
            ));
        }
    }
    // Best effort: a use that cannot be written down does not fail the tokens it was for.
    if grant.use_due(now) {
        let _ = store.touch_grant(grant.id, now).await;
    }
    Ok(user)
}

/// The facts both user tokens state.
pub(super) struct UserTokens<'a> {
    pub user: &'a User,
    pub client: &'a Client,
    pub grant_id: Uuid,
    pub session_id: Option<Uuid>,
    pub auth_time: DateTime<Utc>,
    pub scopes: &'a [String],
    pub nonce: Option<String>,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    /// User claims that go into the ID token (the `claims` parameter's `id_token` member).
    pub id_token_claims: Map<String, Value>,
}

/// The access token (RFC 9068), and an ID token when the scope has `openid`.
pub(super) fn mint(
    minter: &Minter<'_>,
    lifetimes: &Lifetimes,
    access_token_alg: SigningAlg,
    t: UserTokens<'_>,
) -> Result<(String, AccessTokenClaims, Option<String>), TokenError> {
    let sid = t.session_id.map(|s| s.to_string());
    let client_id = t.client.client_id.as_str().to_owned();
    let access = AccessTokenClaims {
        iss: minter.issuer(),
        sub: subject(t.user),
        aud: minter.issuer(),
        client_id: client_id.clone(),
        scope: t.scopes.join(" "),
        jti: minter.jti(),
        iat: 0,
        exp: 0,
        auth_time: Some(t.auth_time.timestamp()),
        sid: sid.clone(),
        acr: t.acr.clone(),
        grant_id: Some(t.grant_id.to_string()),
    };
    let (access_token, access) =
        minter.access_token(access_token_alg, access, lifetimes.access_token)?;
    if !t.scopes.iter().any(|s| s == "openid") {
        return Ok((access_token, access, None));
    }
    let alg = t.client.metadata.id_token_signed_response_alg;
    let id = IdTokenClaims {
        iss: minter.issuer(),
        sub: access.sub.clone(),
        aud: client_id.clone(),
        exp: 0,
        iat: 0,
        auth_time: t.auth_time.timestamp(),
        nonce: t.nonce,
        acr: t.acr,
        amr: t.amr,
        azp: client_id,
        at_hash: Some(token_hash(alg, &access_token)),
        sid,
        user_claims: t.id_token_claims,
    };
    let id_token = minter.id_token(alg, id, lifetimes.id_token)?;
    Ok((access_token, access, Some(id_token)))
}

/// What a new refresh token chain is bound to.
pub(super) struct NewChain<'a> {
    pub grant_id: Uuid,
    pub user_id: Uuid,
    /// Set when the tokens must die with a browser session (no `offline_access`).
    pub session_id: Option<Uuid>,
    pub scopes: &'a [String],
    pub auth_time: DateTime<Utc>,
}

/// The first refresh token of a new chain, and its value; nothing is stored yet.
pub(super) fn new_chain(
    minter: &Minter<'_>,
    lifetimes: &Lifetimes,
    client: &Client,
    chain: NewChain<'_>,
) -> (RefreshTokenValue, RefreshToken) {
    let value = RefreshTokenValue::generate(minter.random);
    let token = RefreshToken {
        id: Uuid::now_v7(),
        chain_id: Uuid::now_v7(),
        parent_id: None,
        grant_id: chain.grant_id,
        client: client.id,
        user_id: chain.user_id,
        session_id: chain.session_id,
        scopes: chain.scopes.to_vec(),
        auth_time: chain.auth_time,
        created_at: minter.now,
        expires_at: minter.now + lifetimes.refresh_token,
        idle_expires_at: lifetimes.refresh_token_idle.map(|idle| minter.now + idle),
        rotated_at: None,
        revoked_at: None,
    };
    (value, token)
}

/// Stores the first refresh token of a new chain; returns its value and the chain's id.
pub(super) async fn start_chain(
    store: &dyn OidcStore,
    minter: &Minter<'_>,
    lifetimes: &Lifetimes,
    client: &Client,
    chain: NewChain<'_>,
) -> Result<(RefreshTokenValue, Uuid), TokenError> {
    let (value, token) = new_chain(minter, lifetimes, client, chain);
    store.insert_refresh_token(&token, &value.hash()).await?;
    Ok((value, token.chain_id))
}
