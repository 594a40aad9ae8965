//! Validation of a `[[clients]]` entry into a typed `ClientSpec` (RFC 7591 / OIDC Registration §2 rules).

use serde_json::Value;

use super::ProvisionError;
use super::document::{
    ClientEntry, ClientSpec, Credential, DEFAULT_CLIENT_SCOPE, Entry, MAX_URI_LEN, http_url,
    parse_each, parse_opt, positive, scope_token,
};
use crate::client::{
    ApplicationType, ClientId, ClientMetadata, GrantType, JwsAlg, RedirectUri, ResponseType,
    SubjectType, TokenEndpointAuthMethod, TokenLifetimes,
};
use crate::keys::SigningAlg;
use crate::secret::{Secret, SecretHash};

/// The longest name a client may show on the login and consent pages, in characters.
const MAX_CLIENT_NAME_CHARS: usize = 200;

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
        // The length is checked here, not by `RedirectUri::parse`, which also reads stored URIs.
        let redirect = |field: &str, uris: &[String]| {
            parse_each(&entry, field, uris, |u| match u.len() <= MAX_URI_LEN {
                true => RedirectUri::parse(u, application_type).map_err(|e| e.to_string()),
                false => Err(format!("must be at most {MAX_URI_LEN} bytes")),
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
        if metadata.name.chars().count() > MAX_CLIENT_NAME_CHARS
            || metadata.name.chars().any(char::is_control)
        {
            return Err(entry.error(
                "client_name",
                format!(
                    "must be at most {MAX_CLIENT_NAME_CHARS} characters, without control characters"
                ),
            ));
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
