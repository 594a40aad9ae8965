//! The provisioning file's shape (TOML) and its validation into typed specs.
//!
//! Field names follow RFC 7591 / OIDC Registration where those define one (`client_name`, `scope`, …).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;

use super::ProvisionError;
use crate::client::{
    ApplicationType, ClientId, ClientMetadata, GrantType, JwsAlg, RedirectUri, ResponseType,
    SubjectType, TokenEndpointAuthMethod, TokenLifetimes,
};
use crate::keys::SigningAlg;
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
struct Entry(String);

impl Entry {
    fn error(&self, field: impl Into<String>, message: impl ToString) -> ProvisionError {
        ProvisionError::Invalid {
            entry: self.0.clone(),
            field: field.into(),
            message: message.to_string(),
        }
    }
}

fn parse_each<T, E: ToString>(
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

fn parse_opt<T, E: ToString>(
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

fn http_url(
    entry: &Entry,
    field: &str,
    value: &Option<String>,
) -> Result<Option<String>, ProvisionError> {
    parse_opt(entry, field, value, |v| match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.fragment().is_none() => {
            Ok(v.to_owned())
        }
        _ => Err("must be an absolute http(s) URL without a fragment"),
    })
}

fn positive(entry: &Entry, field: &str, value: Option<i64>) -> Result<Option<i64>, ProvisionError> {
    match value {
        Some(v) if v <= 0 => Err(entry.error(field, "must be a positive number of seconds")),
        other => Ok(other),
    }
}

/// RFC 6749 §3.3 scope-token characters.
fn scope_token(token: &str) -> Result<String, String> {
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

impl ClientEntry {
    pub fn validate(&self, index: usize) -> Result<ClientSpec, ProvisionError> {
        let entry = Entry(format!("clients[{index}] (client_id {:?})", self.client_id));
        let client_id =
            ClientId::parse(&self.client_id).map_err(|e| entry.error("client_id", e))?;
        let secret = match (&self.client_secret, &self.client_secret_sha256) {
            (Some(_), Some(_)) => {
                return Err(entry.error(
                    "client_secret",
                    "give client_secret or client_secret_sha256, not both",
                ));
            }
            (Some(clear), None) if clear.len() < 32 => {
                return Err(entry.error("client_secret", "must be at least 32 characters"));
            }
            (Some(clear), None) => Some(Credential::Clear(Secret::new(clear.clone()))),
            (None, Some(hash)) => Some(Credential::Hashed(
                SecretHash::parse(hash).map_err(|e| entry.error("client_secret_sha256", e))?,
            )),
            (None, None) => None,
        };
        let auth_method = match &self.token_endpoint_auth_method {
            Some(m) => m
                .parse()
                .map_err(|e| entry.error("token_endpoint_auth_method", e))?,
            None if secret.is_some() => TokenEndpointAuthMethod::ClientSecretBasic,
            None if self.jwks.is_some() || self.jwks_uri.is_some() => {
                TokenEndpointAuthMethod::PrivateKeyJwt
            }
            None => TokenEndpointAuthMethod::None,
        };
        if auth_method == TokenEndpointAuthMethod::None && secret.is_some() {
            return Err(entry.error(
                "client_secret",
                "a public client (token_endpoint_auth_method = \"none\") has no secret",
            ));
        }
        let auth_signing_alg = parse_opt(
            &entry,
            "token_endpoint_auth_signing_alg",
            &self.token_endpoint_auth_signing_alg,
            str::parse::<JwsAlg>,
        )?;
        if auth_method == TokenEndpointAuthMethod::ClientSecretJwt {
            check_secret_jwt(&entry, secret.as_ref(), auth_signing_alg)?;
        }
        let application_type = parse_opt(
            &entry,
            "application_type",
            &self.application_type,
            str::parse,
        )?
        .unwrap_or(ApplicationType::Web);
        let redirect = |field: &str, uris: &[String]| {
            parse_each(&entry, field, uris, |u| {
                RedirectUri::parse(u, application_type)
            })
        };
        let redirect_uris = redirect("redirect_uris", &self.redirect_uris)?;
        let post_logout_redirect_uris =
            redirect("post_logout_redirect_uris", &self.post_logout_redirect_uris)?;
        let grant_types: Vec<GrantType> = match &self.grant_types {
            Some(g) => parse_each(&entry, "grant_types", g, str::parse)?,
            None => vec![GrantType::AuthorizationCode],
        };
        let response_types: Vec<ResponseType> = match &self.response_types {
            Some(r) => parse_each(&entry, "response_types", r, ResponseType::parse_words)?,
            None if grant_types.contains(&GrantType::AuthorizationCode) => vec![ResponseType::Code],
            None => vec![],
        };
        if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
            return Err(entry.error(
                "redirect_uris",
                "the authorization_code grant needs at least one redirect URI",
            ));
        }
        let scope = self.scope.as_deref().unwrap_or(DEFAULT_CLIENT_SCOPE);
        let scopes: Vec<String> = scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(scope_token)
            .collect::<Result<_, _>>()
            .map_err(|e| entry.error("scope", e))?;
        let jwks = match &self.jwks {
            Some(Value::Object(set)) if set.get("keys").is_some_and(Value::is_array) => {
                Some(set.clone())
            }
            Some(_) => {
                return Err(entry.error("jwks", "must be a JWK Set: a table with a `keys` array"));
            }
            None => None,
        };
        let jwks_uri = http_url(&entry, "jwks_uri", &self.jwks_uri)?;
        if jwks.is_some() && jwks_uri.is_some() {
            return Err(entry.error("jwks", "give jwks or jwks_uri, not both (RFC 7591 §2)"));
        }
        if auth_method == TokenEndpointAuthMethod::PrivateKeyJwt
            && jwks.is_none()
            && jwks_uri.is_none()
        {
            return Err(entry.error(
                "jwks",
                "private_key_jwt needs the client's keys: jwks or jwks_uri",
            ));
        }
        let signing_alg =
            |field: &str, v: &Option<String>| parse_opt(&entry, field, v, str::parse::<SigningAlg>);
        let jws_alg =
            |field: &str, v: &Option<String>| parse_opt(&entry, field, v, str::parse::<JwsAlg>);
        let metadata = ClientMetadata {
            name: self.client_name.clone(),
            logo_uri: http_url(&entry, "logo_uri", &self.logo_uri)?,
            client_uri: http_url(&entry, "client_uri", &self.client_uri)?,
            policy_uri: http_url(&entry, "policy_uri", &self.policy_uri)?,
            tos_uri: http_url(&entry, "tos_uri", &self.tos_uri)?,
            contacts: self.contacts.clone(),
            application_type,
            redirect_uris,
            post_logout_redirect_uris,
            grant_types,
            response_types,
            scopes,
            token_endpoint_auth_method: auth_method,
            token_endpoint_auth_signing_alg: auth_signing_alg,
            jwks,
            jwks_uri,
            id_token_signed_response_alg: signing_alg(
                "id_token_signed_response_alg",
                &self.id_token_signed_response_alg,
            )?
            .unwrap_or(SigningAlg::Rs256),
            userinfo_signed_response_alg: signing_alg(
                "userinfo_signed_response_alg",
                &self.userinfo_signed_response_alg,
            )?,
            request_object_signing_alg: jws_alg(
                "request_object_signing_alg",
                &self.request_object_signing_alg,
            )?,
            access_token_signed_alg: signing_alg(
                "access_token_signed_response_alg",
                &self.access_token_signed_response_alg,
            )?,
            subject_type: parse_opt(&entry, "subject_type", &self.subject_type, str::parse)?
                .unwrap_or(SubjectType::Public),
            backchannel_logout_uri: http_url(
                &entry,
                "backchannel_logout_uri",
                &self.backchannel_logout_uri,
            )?,
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            frontchannel_logout_uri: http_url(
                &entry,
                "frontchannel_logout_uri",
                &self.frontchannel_logout_uri,
            )?,
            frontchannel_logout_session_required: self.frontchannel_logout_session_required,
            first_party: self.first_party,
            // Public clients cannot keep a secret, so PKCE is their only proof of possession (RFC 9700 §2.1.1).
            require_pkce: auth_method == TokenEndpointAuthMethod::None
                || self.require_pkce.unwrap_or(true),
            always_issue_refresh_token: self.always_issue_refresh_token,
            default_max_age: match self.default_max_age {
                Some(v) if v < 0 => {
                    return Err(entry.error("default_max_age", "must not be negative"));
                }
                other => other,
            },
            require_auth_time: self.require_auth_time,
            default_acr_values: self.default_acr_values.clone(),
            lifetimes: TokenLifetimes {
                code_secs: positive(&entry, "code_ttl_secs", self.code_ttl_secs)?,
                access_token_secs: positive(
                    &entry,
                    "access_token_ttl_secs",
                    self.access_token_ttl_secs,
                )?,
                id_token_secs: positive(&entry, "id_token_ttl_secs", self.id_token_ttl_secs)?,
                refresh_token_secs: positive(
                    &entry,
                    "refresh_token_ttl_secs",
                    self.refresh_token_ttl_secs,
                )?,
                refresh_token_idle_secs: positive(
                    &entry,
                    "refresh_token_idle_ttl_secs",
                    self.refresh_token_idle_ttl_secs,
                )?,
            },
            disabled: self.disabled,
        };
        if metadata.name.trim().is_empty() {
            return Err(entry.error("client_name", "must not be empty"));
        }
        Ok(ClientSpec {
            client_id,
            secret,
            metadata,
        })
    }
}

/// client_secret_jwt (OIDC Core §9) keys an HMAC with the secret itself: a pre-hashed secret cannot,
/// only HS256, HS384 and HS512 apply, and the secret is at least as long as the hash output (RFC 7518
/// §3.2).
fn check_secret_jwt(
    entry: &Entry,
    secret: Option<&Credential<Secret, SecretHash>>,
    alg: Option<JwsAlg>,
) -> Result<(), ProvisionError> {
    if let Some(Credential::Hashed(_)) = secret {
        return Err(entry.error(
            "client_secret_sha256",
            "client_secret_jwt needs the clear client_secret: HMAC assertions are verified with the secret itself, which a hash cannot do",
        ));
    }
    let min_len = match alg {
        None | Some(JwsAlg::Hs256) => 32,
        Some(JwsAlg::Hs384) => 48,
        Some(JwsAlg::Hs512) => 64,
        Some(other) => {
            return Err(entry.error(
                "token_endpoint_auth_signing_alg",
                format!("client_secret_jwt signs with HS256, HS384 or HS512, not {other}"),
            ));
        }
    };
    match (secret, alg) {
        (Some(Credential::Clear(clear)), Some(alg)) if clear.expose().len() < min_len => Err(entry
            .error(
                "client_secret",
                format!("{alg} needs a secret of at least {min_len} bytes"),
            )),
        _ => Ok(()),
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
