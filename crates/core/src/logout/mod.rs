//! RP-Initiated Logout 1.0 (the `end_session_endpoint`) and Front-Channel Logout 1.0.
//!
//! Nothing here redirects to an address it has not checked: `post_logout_redirect_uri` must equal,
//! byte for byte, one registered by the client that the verified `id_token_hint` (or `client_id`)
//! names (§2, §3). A hint must be an ID token Valet signed (expired ones are fine: they only name
//! the session); an unsigned, foreign or malformed hint is an error page, never a redirect. Without a
//! hint that names the browser's user, the user confirms on a page first (§2: "the OP SHOULD ask").

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::audit::Actor;
use crate::client::{Client, ClientId};
use crate::issuer::Issuer;
use crate::keys::KeyRing;
use crate::params::Params;
use crate::ports::{ClientStore, OidcStore, StoreError};
use crate::revocation::{Cascade, CascadeReport, cascade};
use crate::session::{Session, SessionToken};

/// What an end-session request may carry (§2).
pub const PARAMETERS: [&str; 6] = [
    "id_token_hint",
    "logout_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
];

/// Why an end-session request cannot be honoured as sent; shown on a page, never redirected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogoutError {
    #[error("the parameter `{0}` is included more than once")]
    Repeated(String),
    #[error("could not validate id_token_hint: it is not an ID token this provider issued")]
    InvalidHint,
    #[error("unrecognized id_token_hint audience: it was not issued to client_id")]
    AudienceMismatch,
    #[error("the application (client_id) is not registered")]
    UnknownClient,
    #[error("post_logout_redirect_uri not registered for this application")]
    UnregisteredRedirect,
    #[error(
        "post_logout_redirect_uri not registered: without id_token_hint or client_id it cannot be checked"
    )]
    RedirectWithoutClient,
}

/// The verified facts of an `id_token_hint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub sub: String,
    pub sid: Option<String>,
    pub aud: Vec<String>,
}

#[derive(Deserialize)]
struct HintClaims {
    iss: String,
    sub: String,
    aud: Value,
    #[serde(default)]
    sid: Option<String>,
}

/// A validated end-session request.
#[derive(Clone, Debug)]
pub struct LogoutRequest {
    pub hint: Option<Hint>,
    pub client: Option<Client>,
    /// Checked against the client's registrations; `None` when none was sent.
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub logout_hint: Option<String>,
    pub ui_locales: Option<String>,
    /// The parameters as received, to carry through the confirmation page.
    pub params: Vec<(String, String)>,
}

/// Verifies a hint: a JWS under one of Valet's published keys (`alg: none` and foreign keys fail in
/// `KeyRing::verify`), issued by this issuer. Expiry is deliberately not checked (§2).
pub fn verify_hint(hint: &str, issuer: &Issuer, ring: &KeyRing) -> Option<Hint> {
    let payload = ring.verify(hint, "JWT").ok()?;
    let claims: HintClaims = serde_json::from_slice(&payload).ok()?;
    if claims.iss != issuer.as_str() {
        return None;
    }
    let aud = match claims.aud {
        Value::String(one) => vec![one],
        Value::Array(many) => many
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => return None,
    };
    Some(Hint {
        sub: claims.sub,
        sid: claims.sid,
        aud,
    })
}

/// A parameter's value; repetitions were refused before any is read.
fn value<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).ok().flatten()
}

/// Validates an end-session request (§2, §3).
pub async fn validate(
    params: &Params,
    issuer: &Issuer,
    ring: &KeyRing,
    clients: &dyn ClientStore,
) -> Result<Result<LogoutRequest, LogoutError>, StoreError> {
    if let Some(repeated) = params.first_repeated(&PARAMETERS) {
        return Ok(Err(LogoutError::Repeated(repeated.0)));
    }
    let hint = match value(params, "id_token_hint") {
        Some(text) => match verify_hint(text, issuer, ring) {
            Some(hint) => Some(hint),
            None => return Ok(Err(LogoutError::InvalidHint)),
        },
        None => None,
    };
    let client_id = value(params, "client_id");
    let named = match (client_id, &hint) {
        (Some(id), Some(hint)) if !hint.aud.iter().any(|a| a == id) => {
            return Ok(Err(LogoutError::AudienceMismatch));
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(hint)) => hint.aud.first().cloned(),
        (None, None) => None,
    };
    let client = match named {
        Some(id) => match ClientId::parse(&id) {
            Ok(id) => match clients.find_client(&id).await? {
                Some(client) => Some(client),
                None if client_id.is_some() => return Ok(Err(LogoutError::UnknownClient)),
                // A hint for a client deleted since still ends the session, with nowhere to go.
                None => None,
            },
            Err(_) => return Ok(Err(LogoutError::UnknownClient)),
        },
        None => None,
    };
    let redirect = value(params, "post_logout_redirect_uri");
    if let Some(uri) = redirect {
        let Some(client) = &client else {
            return Ok(Err(LogoutError::RedirectWithoutClient));
        };
        let registered = client
            .metadata
            .post_logout_redirect_uris
            .iter()
            .any(|r| r.as_str() == uri);
        if !registered {
            return Ok(Err(LogoutError::UnregisteredRedirect));
        }
    }
    Ok(Ok(LogoutRequest {
        hint,
        client,
        post_logout_redirect_uri: redirect.map(str::to_owned),
        state: value(params, "state").map(str::to_owned),
        logout_hint: value(params, "logout_hint").map(str::to_owned),
        ui_locales: value(params, "ui_locales").map(str::to_owned),
        params: params
            .to_map()
            .into_iter()
            .filter(|(k, _)| PARAMETERS.contains(&k.as_str()))
            .collect(),
    }))
}

impl LogoutRequest {
    /// Whether the user must confirm: always, unless the hint names the signed-in user (§2).
    pub fn needs_confirmation(&self, session: &Session) -> bool {
        self.hint
            .as_ref()
            .is_none_or(|hint| hint.sub != session.user_id.to_string())
    }

    /// Where the browser goes after logout: the checked URI with `state` appended exactly (§3), or
    /// nowhere (the signed-out page).
    pub fn redirect_target(&self) -> Option<String> {
        let uri = self.post_logout_redirect_uri.as_ref()?;
        let Some(state) = &self.state else {
            return Some(uri.clone());
        };
        let separator = if uri.contains('?') { '&' } else { '?' };
        let state: String = url::form_urlencoded::byte_serialize(state.as_bytes()).collect();
        Some(format!("{uri}{separator}state={state}"))
    }
}

/// The front-channel logout URI of a relying party for one session (Front-Channel Logout 1.0 §2:
/// `iss` and `sid` appended to the registered URI's query).
pub fn frontchannel_uri(client: &Client, issuer: &Issuer, sid: Uuid) -> Option<String> {
    let uri = client.metadata.frontchannel_logout_uri.as_ref()?;
    let separator = if uri.contains('?') { '&' } else { '?' };
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("iss", issuer.as_str())
        .append_pair("sid", &sid.to_string())
        .finish();
    Some(format!("{uri}{separator}{query}"))
}

/// What ending a browser's session did: the cascade's report and the front-channel logout URIs the
/// signed-out page must load.
#[derive(Clone, Debug, Default)]
pub struct Ended {
    pub report: CascadeReport,
    pub frontchannel: Vec<String>,
}

/// Ends the session (the revocation cascade: its session-bound tokens die and its relying parties
/// get back-channel logout tokens), and lists the front-channel URIs of its relying parties.
pub async fn end_session(
    store: &dyn OidcStore,
    issuer: &Issuer,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Ended, StoreError> {
    let frontchannel = store
        .session_clients(session.id)
        .await?
        .iter()
        .filter_map(|client| frontchannel_uri(client, issuer, session.id))
        .collect();
    let report = cascade(
        store,
        &Cascade::end_session(session.id, "logout"),
        Actor::user(session.user_id),
        now,
        false,
    )
    .await?;
    Ok(Ended {
        report,
        frontchannel,
    })
}

/// The confirmation form's CSRF token (`SessionToken::form_token`).
pub fn confirmation_token(session: &SessionToken) -> String {
    session.form_token(CONFIRMATION_PURPOSE)
}

/// Compares a submitted confirmation token in constant time.
pub fn confirmation_matches(session: &SessionToken, submitted: &str) -> bool {
    session.form_token_matches(CONFIRMATION_PURPOSE, submitted)
}

const CONFIRMATION_PURPOSE: &str = "valet-logout-confirmation";

#[cfg(test)]
mod tests;
