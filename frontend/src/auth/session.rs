//! The signed-in state in the browser. Tokens live in this module's memory only: never in storage,
//! where a duplicated tab would copy the refresh token and its second use would revoke the whole
//! chain (RFC 9700 §4.14.2). A reload therefore signs in again, silently while the provider's
//! session lasts. Only the PKCE verifier and `state` cross the redirect, in sessionStorage.
//!
//! The browser runs this module on one thread, so its state is a thread-local: one per page.

use std::cell::RefCell;
use std::rc::Rc;

use futures::lock::Mutex;
use serde::{Deserialize, Serialize};

use super::flow::{self, Callback, TokenError, TokenResponse, Tokens};
use super::pkce;
use crate::api::ApiError;
use crate::api::client::fetch;
use crate::url::Site;

thread_local! {
    static SITE: RefCell<Option<Site>> = const { RefCell::new(None) };
    static TOKENS: RefCell<Option<Tokens>> = const { RefCell::new(None) };
    /// Held while a refresh is under way, so a refresh token is never sent twice.
    static REFRESHING: Rc<Mutex<()>> = Rc::new(Mutex::new(()));
    /// Set once the API accepted a token of this page: sign-in works, reloads are no loop.
    static CONFIRMED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

const PENDING_KEY: &str = "valet-console.sign-in";
const ATTEMPTS_KEY: &str = "valet-console.sign-ins";

/// What crosses the redirect to the authorization endpoint and back.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    return_to: String,
}

/// How the page starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// Signed in: show the console.
    Ready,
    /// Back from logout.
    SignedOut,
    /// The browser is on its way to the authorization endpoint.
    Redirecting,
    /// Sign-in failed; the message says why. No automatic retry, so no redirect loop.
    Failed(String),
}

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Where the issuer is, from the page's location (set once by `start`).
pub fn site() -> Site {
    SITE.with(|s| s.borrow().clone()).unwrap_or_else(|| Site {
        issuer: String::new(),
        issuer_path: String::new(),
    })
}

fn location_parts() -> Option<(String, String, String)> {
    let location = window()?.location();
    Some((
        location.origin().ok()?,
        location.pathname().ok()?,
        location.search().ok()?,
    ))
}

fn storage() -> Option<web_sys::Storage> {
    window()?.session_storage().ok().flatten()
}

fn take_pending() -> Option<Pending> {
    let storage = storage()?;
    let text = storage.get_item(PENDING_KEY).ok().flatten()?;
    let _ = storage.remove_item(PENDING_KEY);
    serde_json::from_str(&text).ok()
}

fn replace_url(path: &str) {
    if let Some(history) = window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

fn random<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    window()?
        .crypto()
        .ok()?
        .get_random_values_with_u8_array(&mut bytes)
        .ok()?;
    Some(bytes)
}

/// Decides from the URL what to do, redeeming the code when this is the callback.
pub async fn start() -> Start {
    let Some((origin, pathname, search)) = location_parts() else {
        return Start::Failed("The page's address cannot be read.".into());
    };
    let Some(site) = Site::from_location(&origin, &pathname) else {
        return Start::Failed(format!(
            "The console must be served below {{issuer}}/admin/, not at {pathname}."
        ));
    };
    SITE.with(|s| *s.borrow_mut() = Some(site.clone()));
    match Callback::parse(&search) {
        Callback::None => {
            sign_in_again();
            Start::Redirecting
        }
        Callback::SignedOut => {
            replace_url(&site.console_url());
            Start::SignedOut
        }
        Callback::Error { error, description } => {
            let _ = take_pending();
            replace_url(&site.console_url());
            Start::Failed(match description {
                Some(text) => format!("Sign-in was refused: {error} ({text})."),
                None => format!("Sign-in was refused: {error}."),
            })
        }
        Callback::Code { iss, .. } if !flow::issuer_matches(&site, iss.as_deref()) => {
            let _ = take_pending();
            replace_url(&site.console_url());
            Start::Failed("The sign-in response came from another issuer (RFC 9207).".into())
        }
        Callback::Code { code, state, .. } => redeem(&site, &code, &state).await,
    }
}

async fn redeem(site: &Site, code: &str, state: &str) -> Start {
    let pending = take_pending();
    replace_url(&site.console_url());
    let Some(pending) = pending.filter(|p| pkce::state_matches(&p.state, state)) else {
        return Start::Failed(
            "This sign-in response does not belong to a sign-in started in this tab.".into(),
        );
    };
    let body = flow::code_request(site, code, &pending.verifier);
    match token_request(site, &body, None).await {
        Ok(tokens) => {
            TOKENS.with(|t| *t.borrow_mut() = Some(tokens));
            replace_url(&flow::safe_return_path(site, &pending.return_to));
            Start::Ready
        }
        Err(message) => Start::Failed(message),
    }
}

async fn token_request(
    site: &Site,
    body: &str,
    previous: Option<&Tokens>,
) -> Result<Tokens, String> {
    let sent = fetch(
        "POST",
        &site.endpoint("token"),
        None,
        Some(("application/x-www-form-urlencoded", body)),
    )
    .await;
    let (status, text) = sent.map_err(|e| e.to_string())?;
    if status == 200 {
        let response: TokenResponse = serde_json::from_str(&text)
            .map_err(|e| format!("The token endpoint's answer could not be read ({e})."))?;
        Tokens::from_response(response, now_ms(), previous)
    } else {
        Err(match serde_json::from_str::<TokenError>(&text) {
            Ok(error) => format!("The token endpoint refused: {error}."),
            Err(_) => format!("The token endpoint answered with status {status}."),
        })
    }
}

/// Records an automatic sign-in; true when it would make a loop.
fn sign_in_loop() -> bool {
    let Some(storage) = storage() else {
        return false;
    };
    let previous: Vec<f64> = storage
        .get_item(ATTEMPTS_KEY)
        .ok()
        .flatten()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let (recent, looping) = flow::record_sign_in(&previous, now_ms());
    if let Ok(text) = serde_json::to_string(&recent) {
        let _ = storage.set_item(ATTEMPTS_KEY, &text);
    }
    looping
}

/// The API accepted a token: forget the automatic sign-ins counted so far.
pub fn confirm_working() {
    if !CONFIRMED.with(|c| c.replace(true))
        && let Some(storage) = storage()
    {
        let _ = storage.remove_item(ATTEMPTS_KEY);
    }
}

/// Forgets the tokens and goes to the authorization endpoint, coming back to the current page;
/// after too many automatic sign-ins in a row, stops on an error screen instead.
pub fn sign_in_again() {
    TOKENS.with(|t| *t.borrow_mut() = None);
    let site = site();
    if sign_in_loop() {
        let stop = crate::url::with_query(
            &site.console_url(),
            [
                ("error", Some("sign_in_loop")),
                (
                    "error_description",
                    Some(
                        "the admin API refused every new token; check that Valet's issuer \
                         setting matches this address",
                    ),
                ),
            ],
        );
        if let Some(w) = window() {
            let _ = w.location().assign(&stop);
        }
        return;
    }
    let (Some(verifier), Some(state)) = (random::<32>(), random::<16>()) else {
        return;
    };
    let verifier = pkce::verifier(&verifier);
    let state = pkce::state(&state);
    let return_to = location_parts()
        .map(|(_, path, search)| format!("{path}{search}"))
        .unwrap_or_default();
    let pending = Pending {
        state: state.clone(),
        verifier: verifier.clone(),
        return_to: flow::safe_return_path(&site, &return_to),
    };
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(&pending)) {
        let _ = storage.set_item(PENDING_KEY, &text);
    }
    let url = flow::authorize_url(&site, &pkce::challenge_s256(&verifier), &state);
    if let Some(w) = window() {
        let _ = w.location().assign(&url);
    }
}

/// A live access token, refreshed first when it is about to expire.
pub async fn access_token() -> Result<String, ApiError> {
    let current = TOKENS.with(|t| t.borrow().clone());
    match current {
        None => {
            sign_in_again();
            Err(ApiError::SignedOut)
        }
        Some(tokens) if tokens.needs_refresh(now_ms()) => refresh(&tokens.access_token).await,
        Some(tokens) => Ok(tokens.access_token),
    }
}

/// Replaces `stale` with a fresh access token. Concurrent callers queue on one lock; those that
/// find a newer token than the one they had use it without refreshing again.
pub async fn refresh(stale: &str) -> Result<String, ApiError> {
    let lock = REFRESHING.with(Rc::clone);
    let _guard = lock.lock().await;
    let Some(current) = TOKENS.with(|t| t.borrow().clone()) else {
        sign_in_again();
        return Err(ApiError::SignedOut);
    };
    if current.access_token != stale && !current.needs_refresh(now_ms()) {
        return Ok(current.access_token);
    }
    // Spent once sent, whatever the answer: drop it from memory before it goes.
    let refresh_token = TOKENS.with(|t| {
        t.borrow_mut()
            .as_mut()
            .and_then(|tokens| tokens.refresh_token.take())
    });
    let Some(refresh_token) = refresh_token else {
        sign_in_again();
        return Err(ApiError::SignedOut);
    };
    let site = site();
    let body = flow::refresh_request(&refresh_token);
    match token_request(&site, &body, Some(&current)).await {
        Ok(tokens) => {
            let access = tokens.access_token.clone();
            TOKENS.with(|t| *t.borrow_mut() = Some(tokens));
            Ok(access)
        }
        Err(_) => {
            sign_in_again();
            Err(ApiError::SignedOut)
        }
    }
}

/// Who is signed in, for the header, from the ID token.
pub fn display_name() -> Option<String> {
    id_token_claim(flow::display_name)
}

/// The ID token's `sub`: Valet's user id.
pub fn subject() -> Option<String> {
    id_token_claim(|token| flow::id_token_claim(token, "sub"))
}

fn id_token_claim(read: impl Fn(&str) -> Option<String>) -> Option<String> {
    TOKENS.with(|t| {
        t.borrow()
            .as_ref()
            .and_then(|t| t.id_token.as_deref())
            .and_then(read)
    })
}

/// Revokes the refresh token (RFC 7009), then ends the provider session (RP-initiated logout).
pub async fn sign_out() {
    let site = site();
    let tokens = TOKENS.with(|t| t.borrow_mut().take());
    let id_token = tokens.as_ref().and_then(|t| t.id_token.clone());
    if let Some(refresh_token) = tokens.and_then(|t| t.refresh_token) {
        let body = flow::revocation_request(&refresh_token);
        let form = Some(("application/x-www-form-urlencoded", body.as_str()));
        let _ = fetch("POST", &site.endpoint("revoke"), None, form).await;
    }
    if let Some(w) = window() {
        let _ = w
            .location()
            .assign(&flow::logout_url(&site, id_token.as_deref()));
    }
}

/// Starts a sign-in from the "signed out" or "failed" screen: the person asked, so it is no loop.
pub fn sign_in() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(ATTEMPTS_KEY);
    }
    replace_url(&site().console_url());
    sign_in_again();
}
