//! Clients (relying parties and resource servers): identifiers, redirect URIs and the RFC 7591 /
//! OIDC Dynamic Registration §2 metadata Valet keeps for each.

mod secrets;
mod vocab;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use url::Url;
use uuid::Uuid;

use crate::keys::{SealedKey, SigningAlg};
use crate::secret::SecretHash;

pub use secrets::{PreviousSecret, SealedSecretError, SecretSealer, open_secret};
pub(crate) use vocab::vocabulary_impl;
pub use vocab::{
    ApplicationType, GrantType, JwsAlg, ResponseType, SubjectType, TokenEndpointAuthMethod,
    UnknownValue,
};

/// An OAuth `client_id` (RFC 6749 §2.2): 1–255 visible ASCII characters, no spaces.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a client_id is 1 to 255 visible ASCII characters without spaces")]
pub struct InvalidClientId;

impl ClientId {
    pub fn parse(text: &str) -> Result<Self, InvalidClientId> {
        let ok =
            (1..=255).contains(&text.len()) && text.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidClientId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A registered redirect or post-logout redirect URI. Kept exactly as registered: matching is by
/// simple string comparison (OIDC Core §3.1.2.1, RFC 9700 §4.1.3), never normalised.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RedirectUri(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidRedirectUri {
    #[error("`{0}` is not an absolute URI")]
    NotAbsolute(String),
    #[error("`{0}` has a fragment, which a redirect URI must not have (RFC 6749 §3.1.2)")]
    Fragment(String),
    #[error("`{0}`: web clients register https URIs (or http on localhost)")]
    WebScheme(String),
    #[error(
        "`{0}`: native clients register a private-use scheme, https, or http on a loopback address"
    )]
    NativeScheme(String),
}

impl RedirectUri {
    pub fn parse(
        text: &str,
        application_type: ApplicationType,
    ) -> Result<Self, InvalidRedirectUri> {
        let url = Url::parse(text).map_err(|_| InvalidRedirectUri::NotAbsolute(text.to_owned()))?;
        if url.fragment().is_some() || text.contains('#') {
            return Err(InvalidRedirectUri::Fragment(text.to_owned()));
        }
        let loopback_host = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        let allowed = match (application_type, url.scheme()) {
            (_, "https") => url.host().is_some(),
            (_, "http") => loopback_host,
            (ApplicationType::Web, _) => false,
            // Private-use schemes are reverse domain names (RFC 8252 §7.1), so they contain a dot.
            (ApplicationType::Native, scheme) => scheme.contains('.'),
        };
        if !allowed {
            return Err(match application_type {
                ApplicationType::Web => InvalidRedirectUri::WebScheme(text.to_owned()),
                ApplicationType::Native => InvalidRedirectUri::NativeScheme(text.to_owned()),
            });
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Token lifetimes a client overrides; `None` takes the global policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenLifetimes {
    pub code_secs: Option<i64>,
    pub access_token_secs: Option<i64>,
    pub id_token_secs: Option<i64>,
    pub refresh_token_secs: Option<i64>,
    pub refresh_token_idle_secs: Option<i64>,
}

/// Everything registered about a client except its identity and secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientMetadata {
    pub name: String,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub contacts: Vec<String>,
    pub application_type: ApplicationType,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub scopes: Vec<String>,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub token_endpoint_auth_signing_alg: Option<JwsAlg>,
    pub jwks: Option<Map<String, Value>>,
    pub jwks_uri: Option<String>,
    pub id_token_signed_response_alg: SigningAlg,
    pub userinfo_signed_response_alg: Option<SigningAlg>,
    pub request_object_signing_alg: Option<JwsAlg>,
    pub access_token_signed_alg: Option<SigningAlg>,
    pub subject_type: SubjectType,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    pub first_party: bool,
    pub require_pkce: bool,
    pub always_issue_refresh_token: bool,
    pub default_max_age: Option<i64>,
    pub require_auth_time: bool,
    pub default_acr_values: Vec<String>,
    pub lifetimes: TokenLifetimes,
    pub disabled: bool,
}

/// A client as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub id: Uuid,
    pub client_id: ClientId,
    /// SHA-256 of the current secret (confidential clients).
    pub secret_hash: Option<SecretHash>,
    /// The secret a rotation replaced, accepted until its overlap ends.
    pub previous_secret: Option<PreviousSecret>,
    /// client_secret_jwt clients only: the current secret sealed under the master key, with the
    /// client_id as associated data. Never kept for other methods.
    pub sealed_secret: Option<SealedKey>,
    pub metadata: ClientMetadata,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Client {
    /// Public clients (RFC 6749 §2.1) hold no secret and authenticate with `none` + PKCE.
    pub fn is_public(&self) -> bool {
        self.metadata.token_endpoint_auth_method == TokenEndpointAuthMethod::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_visible_ascii() {
        assert!(ClientId::parse("web-app_1.example").is_ok());
        assert_eq!(ClientId::parse(""), Err(InvalidClientId));
        assert_eq!(ClientId::parse("has space"), Err(InvalidClientId));
        assert_eq!(ClientId::parse("é"), Err(InvalidClientId));
    }

    #[test]
    fn redirect_uris_are_kept_byte_for_byte() {
        let uri = "https://app.example/cb?x=1&y=%41";
        let parsed = RedirectUri::parse(uri, ApplicationType::Web).map(|u| u.as_str().to_owned());
        assert_eq!(parsed.as_deref(), Ok(uri));
    }

    #[test]
    fn redirect_uri_rules_per_application_type() {
        use ApplicationType::{Native, Web};
        assert!(RedirectUri::parse("http://localhost:3000/cb", Web).is_ok());
        assert!(matches!(
            RedirectUri::parse("http://app.example/cb", Web),
            Err(InvalidRedirectUri::WebScheme(_))
        ));
        assert!(matches!(
            RedirectUri::parse("https://app.example/cb#x", Web),
            Err(InvalidRedirectUri::Fragment(_))
        ));
        assert!(matches!(
            RedirectUri::parse("/cb", Web),
            Err(InvalidRedirectUri::NotAbsolute(_))
        ));
        assert!(matches!(
            RedirectUri::parse("com.example.app:/cb", Web),
            Err(InvalidRedirectUri::WebScheme(_))
        ));
        assert!(RedirectUri::parse("com.example.app:/cb", Native).is_ok());
        assert!(RedirectUri::parse("http://127.0.0.1:51000/cb", Native).is_ok());
        assert!(matches!(
            RedirectUri::parse("myapp:/cb", Native),
            Err(InvalidRedirectUri::NativeScheme(_))
        ));
    }
}
