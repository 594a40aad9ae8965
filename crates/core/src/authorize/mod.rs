//! The authorization endpoint's rules: OIDC Core §3.1.2, RFC 6749 §4.1, RFC 7636 (PKCE), RFC 9207 (`iss`),
//! OAuth 2.0 Form Post Response Mode.
//!
//! Validation happens in two steps because of OIDC Core §3.1.2.6 / RFC 6749 §4.1.2.1: until the client
//! and its redirect URI are known to be genuine, an error must be shown to the user and never sent to a
//! redirect URI (`target_of`); afterwards every error goes back to the client (`validate`).

mod claims_request;
mod pkce;
mod request;
mod response;

pub use claims_request::{ClaimRequest, ClaimsRequest, ClaimsRequestError};
pub use pkce::{CodeChallenge, CodeVerifier, PkceError};
pub use request::{AuthorizationRequest, Display, Prompt, client_id_of, target_of, validate};
pub use response::{AuthorizationResponse, RedirectTarget, ResponseMode};

use crate::oauth_error::OAuthErrorCode;

/// An authorization error, and where it may be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeError {
    pub code: OAuthErrorCode,
    /// Plain words for the user or the developer; never contains a secret.
    pub description: String,
    /// `None` when the error must be shown as an HTML page (unknown client, unregistered redirect URI).
    pub target: Option<RedirectTarget>,
}

impl AuthorizeError {
    /// An error that must not be redirected.
    pub fn page(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            target: None,
        }
    }

    /// An error sent back to the client.
    pub fn redirect(
        target: &RedirectTarget,
        code: OAuthErrorCode,
        description: impl Into<String>,
    ) -> Self {
        Self {
            code,
            description: description.into(),
            target: Some(target.clone()),
        }
    }
}

impl std::fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for AuthorizeError {}
