//! The authorization request as typed values: OIDC Core §3.1.2.1 (parameters) and §3.1.2.2 (validation),
//! RFC 6749 §3.1 (repeated and unknown parameters), §3.1.2 and §4.1.1 (redirect URI, response type),
//! RFC 7636 §4.3 (PKCE), OAuth 2.0 Multiple Response Types §2.1 and Form Post Response Mode §2.

mod rules;
mod target;
mod values;

pub use target::{client_id_of, target_of};

use chrono::Duration;

use super::{AuthorizeError, ClaimsRequest, CodeChallenge, RedirectTarget};
use crate::client::{Client, ClientId, RedirectUri, ResponseType, vocabulary_impl};
use crate::oauth_error::OAuthErrorCode;
use crate::params::Params;

/// OIDC Core §3.1.2.1 `prompt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prompt {
    None,
    Login,
    Consent,
    SelectAccount,
}

/// OIDC Core §3.1.2.1 `display`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    Page,
    Popup,
    Touch,
    Wap,
}

/// A validated authorization request for a known client and one of its registered redirect URIs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub client_id: ClientId,
    pub redirect_uri: RedirectUri,
    /// Whether `redirect_uri` was in the request (if so, the token request must repeat it, RFC 6749 §4.1.3).
    pub redirect_uri_given: bool,
    pub response_type: ResponseType,
    pub target: RedirectTarget,
    /// Requested scopes the client may have, in request order, without duplicates.
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub prompt: Vec<Prompt>,
    pub max_age: Option<Duration>,
    pub login_hint: Option<String>,
    pub id_token_hint: Option<String>,
    pub ui_locales: Vec<String>,
    pub claims_locales: Vec<String>,
    pub acr_values: Vec<String>,
    pub display: Option<Display>,
    pub claims: Option<ClaimsRequest>,
    pub code_challenge: Option<CodeChallenge>,
}

impl AuthorizationRequest {
    /// An OpenID Connect request (scope contains `openid`), as opposed to plain OAuth 2.0.
    pub fn is_openid(&self) -> bool {
        self.scopes.iter().any(|s| s == "openid")
    }

    pub fn has_prompt(&self, prompt: Prompt) -> bool {
        self.prompt.contains(&prompt)
    }
}

vocabulary_impl!(Prompt {
    None => "none",
    Login => "login",
    Consent => "consent",
    SelectAccount => "select_account",
});
vocabulary_impl!(Display {
    Page => "page",
    Popup => "popup",
    Touch => "touch",
    Wap => "wap",
});

/// Step two: every other rule, in a fixed order, each error going back to the client at `target`.
pub fn validate(
    params: &Params,
    client: &Client,
    target: RedirectTarget,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let redirect_uri = client
        .metadata
        .redirect_uris
        .iter()
        .find(|uri| uri.as_str() == target.redirect_uri)
        .cloned()
        // Only reachable with a target not made by `target_of`: never redirect to an unverified URI.
        .ok_or_else(|| {
            AuthorizeError::page(
                OAuthErrorCode::InvalidRequest,
                "redirect_uri is not registered for this client",
            )
        })?;
    rules::checked_request(params, client, redirect_uri, &target).map_err(|rejection| {
        AuthorizeError::redirect(&target, rejection.code, rejection.description)
    })
}

#[cfg(test)]
mod tests;
