//! The user's own account (`/account`): profile, email verification, password, two-step
//! verification with recovery codes, active sessions and connected apps, plus the signed-out paths
//! that mail a link (password reset, email verification, optional self-registration). Server-rendered forms that work without
//! JavaScript.
//!
//! The pages sign the user in through the authorization endpoint with Valet's own `valet-account`
//! client, so login, second factor, throttling and SSO are the ones every application gets. Every
//! POST carries a CSRF token derived from the session cookie (which only this browser holds) and acts
//! for that session's user only.

/// The signed-in user of a form post (its CSRF token checked), or `return`s the response that
/// signs the browser in first (or refuses a forged form). With `password:`, the form's current
/// password must be right too (`confirm_password`), else its refusal is returned.
macro_rules! signed_form {
    ($state:expr, $req:expr, $csrf:expr) => {
        match $crate::account::require_form($state, $req, $csrf).await {
            Ok(signed) => signed,
            Err(response) => return response,
        }
    };
    ($state:expr, $req:expr, $csrf:expr, password: $password:expr) => {{
        let signed = signed_form!($state, $req, $csrf);
        let confirmed = $crate::account::confirm_password($state, $req, &signed, $password);
        if let Err(page) = confirmed.await {
            return page;
        }
        signed
    }};
}

pub mod activity;
pub mod entry;
pub mod mfa;
pub mod recovery;
pub mod register;
pub mod security;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use valet_core::flow;
use valet_core::password::Password;
use valet_core::ports::StoreError;
use valet_core::session::{Session, SessionToken};
use valet_core::user::User;

use crate::http::throttle::{Attempt, too_many};
use crate::http::{cookies, outcome};
use crate::pages;
use crate::password_work;
use crate::state::AppState;

const FORM_PURPOSE: &str = "valet-account";
/// Form fields longer than this are refused before anything else is looked at.
pub(crate) const MAX_FIELD: usize = 1024;

/// The browser's live session and its user.
pub(crate) struct Signed {
    pub session: Session,
    pub user: User,
    token: SessionToken,
}

impl Signed {
    pub fn csrf(&self) -> String {
        self.token.form_token(FORM_PURPOSE)
    }
}

async fn signed_in(state: &AppState, req: &HttpRequest) -> Result<Option<Signed>, StoreError> {
    let Some(token) =
        cookies::read(req, cookies::names(&state.config).session).map(|t| SessionToken::parse(&t))
    else {
        return Ok(None);
    };
    let published = state.published();
    let ctx = state.flow(&published.ring);
    let current = flow::current_session(&ctx, Some(&token)).await?;
    Ok(current.map(|(session, user)| Signed {
        session,
        user,
        token,
    }))
}

/// The signed-in user, or the response that signs the browser in first.
pub(crate) async fn require(state: &AppState, req: &HttpRequest) -> Result<Signed, HttpResponse> {
    match signed_in(state, req).await {
        Ok(Some(signed)) => Ok(signed),
        Ok(None) => Err(entry::start_sign_in(state)),
        Err(e) => Err(outcome::unavailable(&e)),
    }
}

/// Like [`require`] for a form post, which must also carry the session's CSRF token.
pub(crate) async fn require_form(
    state: &AppState,
    req: &HttpRequest,
    csrf: &str,
) -> Result<Signed, HttpResponse> {
    let signed = require(state, req).await?;
    if signed.token.form_token_matches(FORM_PURPOSE, csrf) {
        Ok(signed)
    } else {
        Err(pages::message_with_link(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form was not sent from your current session. Open your account page and try again.",
            ("Your account", &state.config.issuer.endpoint("account")),
        ))
    }
}

/// Checks the password typed to confirm a sensitive change, throttled like the login form (a
/// borrowed session must not become a way to guess it); `Err` is the page to answer with.
pub(crate) async fn confirm_password(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    typed: &str,
) -> Result<(), HttpResponse> {
    if typed.is_empty() {
        // Nothing was tried: asked again, not counted against the throttle.
        let message = "Enter your current password.";
        return Err(
            match entry::render(state, signed, None, Some(message)).await {
                Ok(mut page) => {
                    *page.status_mut() = StatusCode::BAD_REQUEST;
                    page
                }
                Err(e) => outcome::unavailable(&e),
            },
        );
    }
    let username = signed.user.username.as_str();
    let attempt = Attempt::for_login(state, req, Some(&signed.user), username);
    let hash = signed.user.password_hash.clone();
    let verified = async { Ok(password_work::verify(hash, Password::new(typed)).await?) };
    let refusals = Refusals {
        blocked: "Too many wrong passwords. Wait a moment, then try again.",
        wrong: "Your current password is not right.",
    };
    confirm_secret(state, signed, &attempt, refusals, verified).await
}

/// What the account page says when a typed secret is refused.
pub(crate) struct Refusals {
    /// While the attempt's keys are blocked (429).
    pub blocked: &'static str,
    /// When the secret is not right (401).
    pub wrong: &'static str,
}

/// Checks a secret typed to confirm a sensitive change, counted by `attempt`: `check` (not run
/// while the attempt is blocked) says whether it is right. `Err` is the page to answer with.
pub(crate) async fn confirm_secret(
    state: &AppState,
    signed: &Signed,
    attempt: &Attempt,
    refusals: Refusals,
    check: impl Future<Output = Result<bool, StoreError>>,
) -> Result<(), HttpResponse> {
    let now = state.clock.now();
    let refusal = async {
        if let Some(wait) = attempt.blocked(state, now).await? {
            let page = entry::render(state, signed, None, Some(refusals.blocked)).await?;
            return Ok(Some(too_many(page, wait)));
        }
        if !check.await? {
            attempt.failed(state, now).await?;
            let mut page = entry::render(state, signed, None, Some(refusals.wrong)).await?;
            *page.status_mut() = StatusCode::UNAUTHORIZED;
            return Ok(Some(page));
        }
        attempt.succeeded(state).await?;
        Ok::<_, StoreError>(None)
    };
    match refusal.await {
        Ok(None) => Ok(()),
        Ok(Some(page)) => Err(page),
        Err(e) => Err(outcome::unavailable(&e)),
    }
}

/// Back to the account page after a change, with a short notice of what happened (`?done=`).
pub(crate) fn back(state: &AppState, done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            state
                .config
                .issuer
                .endpoint(&format!("account?done={done}")),
        ))
        .finish()
}

/// Maps a store failure to the 503 page; for handler bodies returning `Result<_, StoreError>`.
pub(crate) fn finish(result: Result<HttpResponse, StoreError>) -> HttpResponse {
    result.unwrap_or_else(|e| outcome::unavailable(&e))
}
