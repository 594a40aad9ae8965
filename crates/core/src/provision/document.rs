//! The provisioning file's shape (TOML) and its validation into typed specs.
//!
//! Field names follow RFC 7591 / OIDC Registration where those define one (`client_name`, `scope`, …).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;

use super::ProvisionError;
use crate::client::{ClientId, ClientMetadata};
use crate::password::{Password, PasswordHash};
use crate::secret::{Secret, SecretHash};
use crate::user::{StandardClaims, Username, parse_role};

/// Scopes a client may request when the file does not say.
pub const DEFAULT_CLIENT_SCOPE: &str = "openid profile email address phone offline_access";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionDocument {
    #[serde(default)]
    pub clients: Vec<ClientEntry>,
    #[serde(default)]
    pub users: Vec<UserEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub client_secret_sha256: Option<String>,
    pub client_name: String,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    #[serde(default)]
    pub contacts: Vec<String>,
    pub application_type: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub scope: Option<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub token_endpoint_auth_signing_alg: Option<String>,
    pub jwks: Option<Value>,
    pub jwks_uri: Option<String>,
    pub id_token_signed_response_alg: Option<String>,
    pub userinfo_signed_response_alg: Option<String>,
    pub request_object_signing_alg: Option<String>,
    pub access_token_signed_response_alg: Option<String>,
    pub subject_type: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub frontchannel_logout_session_required: bool,
    #[serde(default)]
    pub first_party: bool,
    pub require_pkce: Option<bool>,
    #[serde(default)]
    pub always_issue_refresh_token: bool,
    pub default_max_age: Option<i64>,
    #[serde(default)]
    pub require_auth_time: bool,
    #[serde(default)]
    pub default_acr_values: Vec<String>,
    pub code_ttl_secs: Option<i64>,
    pub access_token_ttl_secs: Option<i64>,
    pub id_token_ttl_secs: Option<i64>,
    pub refresh_token_ttl_secs: Option<i64>,
    pub refresh_token_idle_ttl_secs: Option<i64>,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub username: String,
    pub password: Option<String>,
    pub password_hash: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub claims: StandardClaims,
}

/// How a secret or password arrives: in clear (hashed on the way in) or already hashed.
#[derive(Clone, Debug)]
pub enum Credential<Clear, Hashed> {
    Clear(Clear),
    Hashed(Hashed),
}

#[derive(Debug)]
pub struct ClientSpec {
    pub client_id: ClientId,
    pub secret: Option<Credential<Secret, SecretHash>>,
    pub metadata: ClientMetadata,
}

#[derive(Debug)]
pub struct UserSpec {
    pub username: Username,
    pub password: Option<Credential<Password, PasswordHash>>,
    pub disabled: bool,
    pub roles: BTreeSet<String>,
    pub claims: StandardClaims,
}

/// Names one entry of the file in errors: `clients[1] (client_id "web")`.
pub(super) struct Entry(pub(super) String);

impl Entry {
    pub(super) fn error(&self, field: impl Into<String>, message: impl ToString) -> ProvisionError {
        ProvisionError::Invalid {
            entry: self.0.clone(),
            field: field.into(),
            message: message.to_string(),
        }
    }
}

pub(super) fn parse_each<T, E: ToString>(
    entry: &Entry,
    field: &str,
    values: &[String],
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, ProvisionError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| parse(v).map_err(|e| entry.error(format!("{field}[{i}]"), e)))
        .collect()
}

pub(super) fn parse_opt<T, E: ToString>(
    entry: &Entry,
    field: &str,
    value: &Option<String>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, ProvisionError> {
    value
        .as_deref()
        .map(|v| parse(v).map_err(|e| entry.error(field, e)))
        .transpose()
}

/// The longest URI a client may register, in bytes: what browsers and servers reliably carry.
pub(super) const MAX_URI_LEN: usize = 2000;

pub(super) fn http_url(
    entry: &Entry,
    field: &str,
    value: &Option<String>,
) -> Result<Option<String>, ProvisionError> {
    parse_opt(entry, field, value, |v| match url::Url::parse(v) {
        Ok(u)
            if v.len() <= MAX_URI_LEN
                && matches!(u.scheme(), "https" | "http")
                && u.fragment().is_none() =>
        {
            Ok(v.to_owned())
        }
        _ => Err(format!(
            "must be an absolute http(s) URL without a fragment, at most {MAX_URI_LEN} bytes"
        )),
    })
}

/// The longest lifetime or age a client may set: long enough for anything real, short enough that
/// adding it to an instant can never overflow.
const MAX_SECONDS: i64 = 10 * 365 * 86_400;

pub(super) fn positive(
    entry: &Entry,
    field: &str,
    value: Option<i64>,
) -> Result<Option<i64>, ProvisionError> {
    match value {
        Some(v) if v <= 0 => Err(entry.error(field, "must be a positive number of seconds")),
        Some(v) if v > MAX_SECONDS => {
            Err(entry.error(field, "must be at most 10 years (315,360,000 seconds)"))
        }
        other => Ok(other),
    }
}

/// RFC 6749 §3.3 scope-token characters.
pub(super) fn scope_token(token: &str) -> Result<String, String> {
    let ok = !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
    if ok {
        Ok(token.to_owned())
    } else {
        Err(format!("`{token}` is not a valid scope token"))
    }
}

impl UserEntry {
    pub fn validate(&self, index: usize) -> Result<UserSpec, ProvisionError> {
        let entry = Entry(format!("users[{index}] (username {:?})", self.username));
        let username = Username::parse(&self.username).map_err(|e| entry.error("username", e))?;
        let password = match (&self.password, &self.password_hash) {
            (Some(_), Some(_)) => {
                return Err(entry.error("password", "give password or password_hash, not both"));
            }
            (Some(clear), None) if clear.chars().count() < 8 => {
                return Err(entry.error("password", "must be at least 8 characters"));
            }
            (Some(clear), None) => Some(Credential::Clear(Password::new(clear.clone()))),
            (None, Some(hash)) => Some(Credential::Hashed(
                PasswordHash::parse(hash).map_err(|e| entry.error("password_hash", e))?,
            )),
            (None, None) => None,
        };
        let roles = parse_each(&entry, "roles", &self.roles, parse_role)?
            .into_iter()
            .collect();
        self.claims
            .check()
            .map_err(|(field, e)| entry.error(format!("claims.{field}"), e))?;
        Ok(UserSpec {
            username,
            password,
            disabled: self.disabled,
            roles,
            claims: self.claims.clone(),
        })
    }
}
