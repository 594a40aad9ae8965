//! Token endpoint errors (RFC 6749 §5.2): a code and plain words, rendered once by the server.

use crate::oauth_error::OAuthErrorCode;
use crate::ports::StoreError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenError {
    pub code: OAuthErrorCode,
    pub description: String,
}

impl TokenError {
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, description)
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for TokenError {}

/// A storage failure in a grant's work: `server_error`, even when the database was unreachable.
/// A grant may write in several steps (the password grant: its grant, its refresh token, and a
/// withdrawal when the password changed meanwhile), so a failure may follow a step that committed,
/// and a retry invited by `temporarily_unavailable` would repeat it. (A code's redemption and a
/// refresh token's rotation are one transaction each, so a retry of those is a redemption or a
/// rotation again, not a replay.) Failures before any write are answered as temporarily
/// unavailable by the endpoint (client authentication, the password grant's checks).
impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(_) => Self::invalid_request(e.to_string()),
            _ => Self::new(OAuthErrorCode::ServerError, format!("storage failure: {e}")),
        }
    }
}

impl From<crate::params::RepeatedParam> for TokenError {
    fn from(e: crate::params::RepeatedParam) -> Self {
        Self::invalid_request(e.to_string())
    }
}
