//! The resource owner password credentials grant (RFC 6749 §4.3), kept for legacy first-party clients
//! only: RFC 9700 §2.4 says it must not be used, so it works only when the server allows it
//! (`[oauth] password_grant`) and the client registered the `password` grant type. The caller has
//! already authenticated the user (throttled like the login form) and refused users with a second
//! factor, which this grant cannot ask for. The tokens hang on the user's grant to the client like
//! any other (so revocation and "connected apps" see them), bound to no browser session.

use super::mint::{Minter, TokenResponse};
use super::user_tokens::{self, NewChain, UserTokens, require_grant_type};
use super::{Lifetimes, TokenError};
use crate::account::methods;
use crate::claims::release;
use crate::client::{Client, GrantType};
use crate::grant::Grant;
use crate::keys::SigningAlg;
use crate::oauth_error::OAuthErrorCode;
use crate::params::Params;
use crate::ports::OidcStore;
use crate::user::User;

/// The scopes asked for (`scope`, or all the client may have), each one the client may have.
fn scopes(client: &Client, params: &Params) -> Result<Vec<String>, TokenError> {
    let Some(requested) = params.get("scope")? else {
        return Ok(client.metadata.scopes.clone());
    };
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !client.metadata.scopes.iter().any(|s| s == scope) {
            return Err(TokenError::new(
                OAuthErrorCode::InvalidScope,
                format!("the client may not request the scope `{scope}`"),
            ));
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    Ok(scopes)
}

/// Tokens for `user`, whose password the caller verified (`user.password_hash` is the hash it
/// verified against, or the one it was upgraded to).
pub async fn password_grant(
    minter: &Minter<'_>,
    lifetimes: &Lifetimes,
    access_token_alg: SigningAlg,
    store: &dyn OidcStore,
    client: &Client,
    params: &Params,
    user: &User,
) -> Result<TokenResponse, TokenError> {
    require_grant_type(client, GrantType::Password)?;
    let scopes = scopes(client, params)?;
    let existing = store.find_live_grant(user.id, client.id).await?;
    let grant = existing
        .unwrap_or_else(|| Grant::new(user.id, client.id, vec![], minter.now))
        .extended(&scopes, minter.now);
    store.save_grant(&grant, None, minter.now).await?;
    let tokens = UserTokens {
        user,
        client,
        grant_id: grant.id,
        session_id: None,
        auth_time: minter.now,
        scopes: &scopes,
        nonce: None,
        acr: Some(methods::ACR_SINGLE.to_owned()),
        amr: vec![methods::PWD.to_owned()],
        id_token_claims: release(user, [], std::iter::empty()),
    };
    let (access_token, access, id_token) =
        user_tokens::mint(minter, lifetimes, access_token_alg, tokens)?;
    let refresh = if client
        .metadata
        .grant_types
        .contains(&GrantType::RefreshToken)
    {
        let chain = NewChain {
            grant_id: grant.id,
            user_id: user.id,
            session_id: None,
            scopes: &scopes,
            auth_time: minter.now,
        };
        Some(user_tokens::start_chain(store, minter, lifetimes, client, chain).await?)
    } else {
        None
    };
    // A password change or a disabling that committed while this request checked the old password
    // did not see the refresh token stored above: the account is read again now (waiting for a
    // change under way), and the tokens are withdrawn when the password checked is gone. A change
    // after this read sees the token and revokes it with the others.
    if !store
        .credentials_hold(user.id, user.password_hash.as_ref())
        .await?
    {
        if let Some((_, chain_id)) = &refresh {
            store.revoke_refresh_chain(*chain_id, minter.now).await?;
        }
        return Err(TokenError::invalid_grant(
            "the account's password changed while it was being checked",
        ));
    }
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetimes.access_token.num_seconds(),
        scope: access.scope,
        id_token,
        refresh_token: refresh.map(|(value, _)| value.expose().to_owned()),
    })
}
