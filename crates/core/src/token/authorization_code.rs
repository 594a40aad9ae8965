//! The authorization code grant at the token endpoint (RFC 6749 §4.1.3, OIDC Core §3.1.3, RFC 7636 §4.6).
//!
//! Every binding is checked before anything is written, so a rejected request changes nothing; the code
//! is then consumed in one transaction with what its redemption issued, so a failure leaves it unspent.
//! A code presented after its redemption revokes what that redemption issued (RFC 6749 §4.1.2).

use super::mint::{Minter, TokenResponse};
use super::user_tokens::{self, NewChain, UserTokens, live_user};
use super::{Lifetimes, TokenError};
use crate::authorize::{ClaimsRequest, CodeChallenge, CodeVerifier};
use crate::claims::release;
use crate::client::{Client, GrantType};
use crate::code::{AuthorizationCode, CodeValue, Redemption};
use crate::keys::SigningAlg;
use crate::params::Params;
use crate::ports::{Issued, OidcStore};
use crate::refresh::{RefreshToken, RefreshTokenValue};

pub async fn exchange_code(
    minter: &Minter<'_>,
    lifetimes: &Lifetimes,
    access_token_alg: SigningAlg,
    store: &dyn OidcStore,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    let value = params
        .get("code")?
        .ok_or_else(|| TokenError::invalid_request("code is required"))?;
    let redirect_uri = params.get("redirect_uri")?;
    let verifier = params.get("code_verifier")?;
    let hash = CodeValue::parse(value).hash();
    let code = store
        .find_code(&hash)
        .await?
        .ok_or_else(|| TokenError::invalid_grant("the authorization code is unknown"))?;
    if code.consumed_at.is_some() {
        return Err(replayed(store, &code, minter).await?);
    }
    check_code(&code, client, redirect_uri, verifier, minter)?;
    let user = live_user(
        store,
        code.grant_id,
        code.user_id,
        code.session_id,
        minter.now,
    )
    .await?;

    // The tokens are minted from the code as read: only its redemption changes after it is issued.
    let requested = code
        .claims
        .clone()
        .and_then(|c| ClaimsRequest::from_json(c).ok());
    let tokens = UserTokens {
        user: &user,
        client,
        grant_id: code.grant_id,
        session_id: code.session_id,
        auth_time: code.auth_time,
        scopes: &code.scopes,
        nonce: code.nonce.clone(),
        acr: code.acr.clone(),
        amr: code.amr.clone(),
        id_token_claims: release(&user, [], requested.iter().flat_map(|c| c.id_token_names())),
    };
    let (access_token, access, id_token) =
        user_tokens::mint(minter, lifetimes, access_token_alg, tokens)?;
    let refresh = refresh_token(&code, client, lifetimes, minter);
    let refresh_hash = refresh.as_ref().map(|(value, _)| value.hash());
    let issued = Issued {
        access_token_jti: &access.jti,
        refresh: refresh
            .as_ref()
            .map(|(_, token)| token)
            .zip(refresh_hash.as_ref()),
    };
    match store.redeem_code(&hash, minter.now, issued).await? {
        Redemption::Fresh(_) => {}
        // Redeemed by a concurrent request between the read above and now.
        Redemption::Replayed(code) => return Err(replayed(store, &code, minter).await?),
        Redemption::Unknown => {
            return Err(TokenError::invalid_grant(
                "the authorization code is unknown",
            ));
        }
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

/// The bindings a code carries: client, expiry, redirect URI, PKCE.
fn check_code(
    code: &AuthorizationCode,
    client: &Client,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    minter: &Minter<'_>,
) -> Result<(), TokenError> {
    if code.client != client.id {
        return Err(TokenError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if code.is_expired(minter.now) {
        return Err(TokenError::invalid_grant(
            "the authorization code has expired",
        ));
    }
    match redirect_uri {
        Some(given) if given != code.redirect_uri => {
            return Err(TokenError::invalid_grant(
                "redirect_uri differs from the authorization request's",
            ));
        }
        None if code.redirect_uri_given => {
            return Err(TokenError::invalid_request(
                "redirect_uri is required: the authorization request had one",
            ));
        }
        _ => {}
    }
    match (&code.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) => {
            let verifier = CodeVerifier::parse(verifier)
                .map_err(|e| TokenError::invalid_grant(e.to_string()))?;
            let challenge = CodeChallenge::parse(challenge, Some("S256"))
                .map_err(|e| TokenError::invalid_grant(e.to_string()))?;
            if !challenge.verify(&verifier) {
                return Err(TokenError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => {
            return Err(TokenError::invalid_grant(
                "code_verifier is required (PKCE was used)",
            ));
        }
        (None, Some(_)) => {
            return Err(TokenError::invalid_grant(
                "code_verifier given but no code_challenge was sent",
            ));
        }
        (None, None) => {}
    }
    Ok(())
}

/// A refresh token when the client may refresh and either `offline_access` was granted (the token
/// outlives the browser session) or the client always gets one (then it is bound to the session).
fn refresh_token(
    code: &AuthorizationCode,
    client: &Client,
    lifetimes: &Lifetimes,
    minter: &Minter<'_>,
) -> Option<(RefreshTokenValue, RefreshToken)> {
    let offline = code.scopes.iter().any(|s| s == "offline_access");
    let allowed = client
        .metadata
        .grant_types
        .contains(&GrantType::RefreshToken);
    if !allowed || !(offline || client.metadata.always_issue_refresh_token) {
        return None;
    }
    let chain = NewChain {
        grant_id: code.grant_id,
        user_id: code.user_id,
        session_id: if offline { None } else { code.session_id },
        scopes: &code.scopes,
        auth_time: code.auth_time,
    };
    Some(user_tokens::new_chain(minter, lifetimes, client, chain))
}

/// A replayed code: revoke what its redemption issued and refuse.
async fn replayed(
    store: &dyn OidcStore,
    code: &AuthorizationCode,
    minter: &Minter<'_>,
) -> Result<TokenError, TokenError> {
    revoke_issued(store, code, minter).await?;
    Ok(TokenError::invalid_grant(
        "the authorization code was already used; what it issued is revoked",
    ))
}

async fn revoke_issued(
    store: &dyn OidcStore,
    code: &AuthorizationCode,
    minter: &Minter<'_>,
) -> Result<(), TokenError> {
    if let Some(jti) = &code.issued_access_token_jti {
        // Long enough for any access token this code can have produced.
        let until = minter.now + chrono::Duration::days(1);
        store
            .revoke_access_token(jti, Some(code.grant_id), until, minter.now)
            .await?;
    }
    if let Some(chain) = code.issued_refresh_chain_id {
        store.revoke_refresh_chain(chain, minter.now).await?;
    }
    Ok(())
}
