//! Client authentication at the token endpoint: RFC 6749 §2.3.1 (client_secret_basic and
//! client_secret_post), OIDC Core §9 (the methods and the assertion claims), RFC 7523 §2.2 and §3
//! (private_key_jwt and client_secret_jwt), RFC 7521 §4.2 (the assertion parameters).
//!
//! The HTTP layer hands over what it found, uninterpreted (`PresentedCredentials`); `authenticate`
//! decides which single method the client used, finds the client and checks that method against what
//! the client registered.

mod assertion;
mod claims;
mod presented;
mod secret_jwt;
mod shared_secret;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use crate::client::{Client, ClientId, TokenEndpointAuthMethod};
use crate::keys::MasterKey;
use crate::oauth_error::{OAuthErrorCode, safe_description};
use crate::ports::{AssertionReplayStore, ClientStore, StoreError};

pub use assertion::JWT_BEARER_ASSERTION_TYPE;
pub use presented::PresentedCredentials;

use presented::Presentation;

/// A client that proved its identity, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatedClient {
    pub client: Client,
    pub method: TokenEndpointAuthMethod,
}

/// Why authentication failed, as the token endpoint reports it (RFC 6749 §5.2). The description never
/// contains a secret or an assertion.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct ClientAuthError {
    /// `invalid_client` or `invalid_request`; `temporarily_unavailable` or `server_error` when the
    /// store failed.
    pub code: OAuthErrorCode,
    pub description: String,
    /// The client tried the `Authorization` header, so an `invalid_client` answer is a 401 with a
    /// `WWW-Authenticate` challenge (RFC 6749 §5.2).
    pub via_authorization_header: bool,
    /// Detail for the server's log only (a store failure); never sent to the client.
    pub cause: Option<String>,
}

impl ClientAuthError {
    fn new(code: OAuthErrorCode, description: &str) -> Self {
        Self {
            code,
            description: safe_description(description),
            via_authorization_header: false,
            cause: None,
        }
    }

    pub fn invalid_client(description: &str) -> Self {
        Self::new(OAuthErrorCode::InvalidClient, description)
    }

    pub fn invalid_request(description: &str) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    /// The store failed: `temporarily_unavailable` when the database cannot be reached now,
    /// `server_error` otherwise; the cause goes only to the log.
    fn store_failed(err: &StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => Self {
                cause: Some(err.to_string()),
                ..Self::new(
                    OAuthErrorCode::TemporarilyUnavailable,
                    "client authentication is unavailable right now; try again later",
                )
            },
            StoreError::Invalid(_) => Self::invalid_request(&err.to_string()),
            _ => Self::server_failure(err),
        }
    }

    /// A failure on our side (the store, the master key): a `server_error` whose cause goes only to
    /// the log.
    fn server_failure(cause: &dyn std::fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(
                OAuthErrorCode::ServerError,
                "client authentication is unavailable right now",
            )
        }
    }
}

/// Authenticates the client of a token-endpoint request. `master` opens the sealed secrets that
/// verify client_secret_jwt assertions; `audiences` are the values a client assertion's `aud` may
/// name: the token endpoint URL and the issuer (RFC 7523 §3 item 3).
pub async fn authenticate(
    creds: &PresentedCredentials,
    clients: &dyn ClientStore,
    replay: &dyn AssertionReplayStore,
    master: &MasterKey,
    audiences: &[String],
    now: DateTime<Utc>,
) -> Result<AuthenticatedClient, ClientAuthError> {
    run(creds, clients, replay, master, audiences, now)
        .await
        .map_err(|err| ClientAuthError {
            via_authorization_header: creds.authorization_header.is_some(),
            ..err
        })
}

async fn run(
    creds: &PresentedCredentials,
    clients: &dyn ClientStore,
    replay: &dyn AssertionReplayStore,
    master: &MasterKey,
    audiences: &[String],
    now: DateTime<Utc>,
) -> Result<AuthenticatedClient, ClientAuthError> {
    let presentation = presented::identify(creds)?;
    let client = find_client(clients, presentation.client_id()).await?;
    check_enabled(&client)?;
    let method = presentation.method();
    check_registered_method(&client, method)?;
    match &presentation {
        Presentation::Secret { secret, .. } => {
            shared_secret::check_client_secret(&client, secret, now)?
        }
        Presentation::None { .. } => shared_secret::check_public(&client)?,
        Presentation::Assertion(jwt) => {
            let claims = match method {
                TokenEndpointAuthMethod::ClientSecretJwt => {
                    secret_jwt::verify_hmac(jwt, &client, master)?
                }
                _ => assertion::verify_signature(jwt, &client)?,
            };
            let accepted =
                claims::check_assertion_claims(&claims, &client.client_id, audiences, now)?;
            check_replay(replay, &client.client_id, &accepted).await?;
        }
    }
    Ok(AuthenticatedClient { client, method })
}

/// An unknown client_id fails authentication (RFC 6749 §5.2 `invalid_client`).
async fn find_client(
    clients: &dyn ClientStore,
    client_id: &str,
) -> Result<Client, ClientAuthError> {
    let unknown = || ClientAuthError::invalid_client("unknown client");
    let id = ClientId::parse(client_id).map_err(|_| unknown())?;
    clients
        .find_client(&id)
        .await
        .map_err(|e| ClientAuthError::store_failed(&e))?
        .ok_or_else(unknown)
}

fn check_enabled(client: &Client) -> Result<(), ClientAuthError> {
    if client.metadata.disabled {
        return Err(ClientAuthError::invalid_client("the client is disabled"));
    }
    Ok(())
}

/// A client authenticates only with the method it registered (OIDC Registration §2
/// `token_endpoint_auth_method`), so a stolen secret of a private_key_jwt client is worthless.
fn check_registered_method(
    client: &Client,
    used: TokenEndpointAuthMethod,
) -> Result<(), ClientAuthError> {
    let registered = client.metadata.token_endpoint_auth_method;
    if used != registered {
        return Err(ClientAuthError::invalid_client(&format!(
            "the client is registered for {registered}, not {used}"
        )));
    }
    Ok(())
}

/// Each assertion authenticates once (RFC 7523 §3 item 7).
async fn check_replay(
    replay: &dyn AssertionReplayStore,
    client_id: &ClientId,
    accepted: &claims::AcceptedAssertion,
) -> Result<(), ClientAuthError> {
    let first_use = replay
        .record_assertion(client_id, &accepted.jti, accepted.usable_until)
        .await
        .map_err(|e| ClientAuthError::store_failed(&e))?;
    if !first_use {
        return Err(ClientAuthError::invalid_client(
            "the client assertion was already used (its jti was seen before)",
        ));
    }
    Ok(())
}
