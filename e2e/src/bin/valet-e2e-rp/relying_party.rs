//! The relying party's state: its registration, the sign-ins under way (by `state`), the latest
//! refresh token, and the `openidconnect` client built from the provider's discovery document
//! (OIDC Discovery 1.0 §4) with the client secret of the moment.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthType, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope,
};
use url::Url;

use crate::events::Events;

pub type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

pub struct Config {
    /// `http://127.0.0.1:PORT`, where this relying party listens.
    pub base: String,
    pub client_id: ClientId,
    pub redirect_uri: RedirectUrl,
    /// What /start asks for besides `openid`, which the crate always adds.
    pub scopes: Vec<Scope>,
    pub forward: Option<Url>,
}

impl Config {
    pub fn new(
        base: &str,
        client_id: String,
        scope: &str,
        forward: Option<Url>,
    ) -> Result<Self, url::ParseError> {
        Ok(Self {
            base: base.to_owned(),
            client_id: ClientId::new(client_id),
            redirect_uri: RedirectUrl::new(format!("{base}/callback"))?,
            scopes: scope
                .split_whitespace()
                .filter(|s| *s != "openid")
                .map(|s| Scope::new(s.to_owned()))
                .collect(),
            forward,
        })
    }
}

/// A sign-in between /start and /callback.
pub struct Pending {
    pub metadata: CoreProviderMetadata,
    pub verifier: PkceCodeVerifier,
    pub nonce: Nonce,
}

/// The latest sign-in that brought a refresh token.
#[derive(Clone)]
pub struct Session {
    pub metadata: CoreProviderMetadata,
    pub refresh_token: RefreshToken,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("no issuer yet: start the relying party with --issuer or answer with one")]
    NoIssuer,
    #[error("issuer {0:?} is not a URL: {1}")]
    BadIssuer(String, url::ParseError),
    #[error("discovery of {0}: {1}")]
    Discovery(String, String),
}

pub struct RelyingParty {
    pub config: Config,
    pub events: Events,
    /// For the provider: redirects are never followed (openidconnect's advice against SSRF).
    pub http: reqwest::Client,
    /// For the harness's endpoints behind `--forward`.
    pub forwarder: reqwest::Client,
    pending: Mutex<HashMap<String, Pending>>,
    session: Mutex<Option<Session>>,
}

impl RelyingParty {
    pub fn new(config: Config, events: Events) -> reqwest::Result<Self> {
        let client = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
        };
        Ok(Self {
            config,
            events,
            http: client().build()?,
            forwarder: client().build()?,
            pending: Mutex::default(),
            session: Mutex::default(),
        })
    }

    /// The provider's metadata and keys, fetched anew for every sign-in.
    pub async fn discover(&self) -> Result<CoreProviderMetadata, DiscoveryError> {
        let issuer = self
            .events
            .settings()
            .issuer
            .ok_or(DiscoveryError::NoIssuer)?;
        let url = IssuerUrl::new(issuer.clone())
            .map_err(|err| DiscoveryError::BadIssuer(issuer.clone(), err))?;
        CoreProviderMetadata::discover_async(url, &self.http)
            .await
            .map_err(|err| DiscoveryError::Discovery(issuer, error_chain(&err)))
    }

    /// The crate's client for this provider, authenticating with client_secret_basic.
    pub fn client(&self, metadata: CoreProviderMetadata) -> Client {
        let secret = self.events.settings().client_secret.map(ClientSecret::new);
        CoreClient::from_provider_metadata(metadata, self.config.client_id.clone(), secret)
            .set_redirect_uri(self.config.redirect_uri.clone())
            .set_auth_type(AuthType::BasicAuth)
    }

    pub fn expect(&self, state: String, pending: Pending) {
        lock(&self.pending).insert(state, pending);
    }

    /// The sign-in `state` belongs to, at most once.
    pub fn take(&self, state: &str) -> Option<Pending> {
        lock(&self.pending).remove(state)
    }

    pub fn keep(&self, session: Session) {
        *lock(&self.session) = Some(session);
    }

    pub fn session(&self) -> Option<Session> {
        lock(&self.session).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An error and its sources on one line: the crate's top-level messages alone say little.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
