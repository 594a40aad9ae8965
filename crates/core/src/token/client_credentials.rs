//! The client credentials grant (RFC 6749 §4.4): an access token for the client itself, limited to the
//! scopes the client may have; no refresh token and no ID token.

use super::mint::{Minter, TokenResponse};
use super::user_tokens::require_grant_type;
use super::{AccessTokenClaims, Lifetimes, TokenError};
use crate::client::{Client, GrantType};
use crate::keys::SigningAlg;
use crate::oauth_error::OAuthErrorCode;
// Every OpenID scope describes a user; none means anything in a token that has no user.
use crate::discovery::SCOPES;
use crate::params::Params;

pub fn client_credentials(
    minter: &Minter<'_>,
    lifetimes: &Lifetimes,
    access_token_alg: SigningAlg,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    require_grant_type(client, GrantType::ClientCredentials)?;
    let allowed: Vec<&str> = client
        .metadata
        .scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !SCOPES.contains(s))
        .collect();
    let scopes: Vec<&str> = match params.get("scope")? {
        None => allowed.clone(),
        Some(requested) => {
            let mut scopes: Vec<&str> = Vec::new();
            for scope in requested.split(' ').filter(|s| !s.is_empty()) {
                if !allowed.contains(&scope) {
                    return Err(TokenError::new(
                        OAuthErrorCode::InvalidScope,
                        format!("the client may not request the scope `{scope}`"),
                    ));
                }
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
            scopes
        }
    };
    let claims = AccessTokenClaims {
        iss: minter.issuer(),
        sub: client.client_id.as_str().to_owned(),
        aud: minter.issuer(),
        client_id: client.client_id.as_str().to_owned(),
        scope: scopes.join(" "),
        jti: minter.jti(),
        iat: 0,
        exp: 0,
        auth_time: None,
        sid: None,
        acr: None,
        grant_id: None,
    };
    let (access_token, claims) =
        minter.access_token(access_token_alg, claims, lifetimes.access_token)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetimes.access_token.num_seconds(),
        scope: claims.scope,
        id_token: None,
        refresh_token: None,
    })
}
