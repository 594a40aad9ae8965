//! Where and how an authorization response goes: the redirect URI in the requested response mode, with
//! `state` echoed byte-exact and `iss` (RFC 9207).
//!
//! RFC 6749 §4.1.2 and §4.1.2.1 (query), OAuth 2.0 Multiple Response Types §2.1 and §5 (fragment),
//! OAuth 2.0 Form Post Response Mode §2 (form_post).

use std::str::FromStr;

use url::form_urlencoded;

use super::AuthorizeError;
use crate::client::{ResponseType, UnknownValue};
use crate::issuer::Issuer;
use crate::oauth_error::safe_description;

/// OAuth 2.0 Multiple Response Types §2.1 and Form Post Response Mode §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub const ALL: &'static [Self] = &[Self::Query, Self::Fragment, Self::FormPost];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Fragment => "fragment",
            Self::FormPost => "form_post",
        }
    }

    /// Multiple Response Types §2.1 and §5: `code` (and `none`) answer in the query, anything that
    /// returns a token in the fragment.
    pub fn default_for(response_type: ResponseType) -> Self {
        match response_type {
            ResponseType::Code | ResponseType::None => Self::Query,
            _ => Self::Fragment,
        }
    }
}

impl FromStr for ResponseMode {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownValue {
                value: s.to_owned(),
                expected: "query, fragment, form_post".to_owned(),
            })
    }
}

/// The client's verified redirect URI, the response mode, and the `state` to echo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectTarget {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub state: Option<String>,
}

/// What the browser receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizationResponse {
    /// A 303 to this URL.
    Redirect(String),
    /// An auto-submitting HTML form POSTing `fields` to `action`.
    FormPost {
        action: String,
        fields: Vec<(String, String)>,
    },
}

impl RedirectTarget {
    /// `fields`, then `state` (if the request had one) and `iss`, delivered in this target's mode.
    pub fn respond(&self, issuer: &Issuer, fields: Vec<(String, String)>) -> AuthorizationResponse {
        let mut fields = fields;
        if let Some(state) = &self.state {
            fields.push(("state".to_owned(), state.clone()));
        }
        fields.push(("iss".to_owned(), issuer.as_str().to_owned()));
        let uri = &self.redirect_uri;
        match self.mode {
            ResponseMode::Query => {
                // RFC 6749 §3.1.2: the registered query component must be retained.
                let separator = match uri.find('?') {
                    None => "?",
                    Some(_) if uri.ends_with('?') || uri.ends_with('&') => "",
                    Some(_) => "&",
                };
                AuthorizationResponse::Redirect(format!("{uri}{separator}{}", encode(&fields)))
            }
            // Registered redirect URIs have no fragment (RFC 6749 §3.1.2), so this one is ours.
            ResponseMode::Fragment => {
                AuthorizationResponse::Redirect(format!("{uri}#{}", encode(&fields)))
            }
            ResponseMode::FormPost => AuthorizationResponse::FormPost {
                action: uri.clone(),
                fields,
            },
        }
    }
}

impl AuthorizeError {
    /// RFC 6749 §4.1.2.1 error response, or `None` when the error must be shown as a page instead.
    pub fn response(&self, issuer: &Issuer) -> Option<AuthorizationResponse> {
        let target = self.target.as_ref()?;
        let mut fields = vec![("error".to_owned(), self.code.as_str().to_owned())];
        let description = safe_description(&self.description);
        if !description.trim().is_empty() {
            fields.push(("error_description".to_owned(), description));
        }
        Some(target.respond(issuer, fields))
    }
}

fn encode(fields: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

#[cfg(test)]
mod tests;
