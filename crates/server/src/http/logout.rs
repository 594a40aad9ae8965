//! `GET|POST /logout` (the end_session_endpoint, RP-Initiated Logout 1.0 §2) and
//! `POST /logout/confirm` (the user's answer on the confirmation page).
//!
//! After a logout: back-channel logout tokens are sent (waiting at most the outbound timeout), the
//! session cookie is cleared, and the browser goes to the checked `post_logout_redirect_uri` (303),
//! through a page loading the front-channel logout frames first when relying parties registered
//! them, or to the signed-out page. Nothing is redirected before the request was validated.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use valet_core::logout::{self, Ended, LogoutRequest};
use valet_core::params::Params;
use valet_core::ports::{SessionStore, StoreError};
use valet_core::session::{Session, SessionToken};

use super::{cookies, outcome};
use crate::pages::{self, LogoutConfirmation};
use crate::state::AppState;
use crate::{delivery, http};

/// What both endpoints start from: the parameters, the validated request, the browser's session.
struct Received {
    params: Params,
    request: LogoutRequest,
    session: Option<Session>,
    token: Option<SessionToken>,
}

async fn receive(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Received, HttpResponse> {
    let params = http::request_params(req, body).map_err(|page| *page)?;
    let request = validated(state, &params).await?;
    let (session, token) = browser_session(state, req)
        .await
        .map_err(|e| outcome::unavailable(&e))?;
    Ok(Received {
        params,
        request,
        session,
        token,
    })
}

pub async fn end_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let r = match receive(&state, &req, &body).await {
        Ok(received) => received,
        Err(page) => return page,
    };
    match (r.session, r.token) {
        (Some(session), Some(token)) if r.request.needs_confirmation(&session) => {
            let action = state.config.issuer.endpoint("logout/confirm");
            let csrf = logout::confirmation_token(&token);
            let page = pages::logout_confirmation(&LogoutConfirmation {
                action: &action,
                csrf: &csrf,
                params: &r.request.params,
                client_name: r.request.client.as_ref().map(|c| c.metadata.name.as_str()),
            });
            match r.request.redirect_target() {
                Some(target) => pages::allow_form_redirect(page, &target),
                None => page,
            }
        }
        (session, _) => sign_out(&state, &r.request, session).await,
    }
}

pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let r = match receive(&state, &req, &body).await {
        Ok(received) => received,
        Err(page) => return page,
    };
    if let (Some(token), Some(_)) = (&r.token, &r.session) {
        let csrf = r.params.get("csrf").ok().flatten().unwrap_or_default();
        if !logout::confirmation_matches(token, csrf) {
            return pages::error(
                StatusCode::BAD_REQUEST,
                "This sign-out form has expired",
                "The form did not come from this browser's session. Nothing was changed.",
            );
        }
    }
    if r.params.get("logout").ok().flatten() != Some("yes") {
        return pages::still_signed_in();
    }
    sign_out(&state, &r.request, r.session).await
}

async fn validated(state: &AppState, params: &Params) -> Result<LogoutRequest, HttpResponse> {
    let published = state.published();
    match logout::validate(params, &state.config.issuer, &published.ring, &state.db).await {
        Ok(Ok(request)) => Ok(request),
        Ok(Err(e)) => {
            tracing::info!(error = %e, "end-session request refused with an error page");
            Err(pages::error(
                StatusCode::BAD_REQUEST,
                "This sign-out request cannot be completed",
                &e.to_string(),
            ))
        }
        Err(e) => Err(outcome::unavailable(&e)),
    }
}

/// The browser's active session, and the cookie that names it.
async fn browser_session(
    state: &AppState,
    req: &HttpRequest,
) -> Result<(Option<Session>, Option<SessionToken>), StoreError> {
    let Some(token) =
        cookies::read(req, cookies::names(&state.config).session).map(|t| SessionToken::parse(&t))
    else {
        return Ok((None, None));
    };
    let now = state.clock.now();
    let session = state
        .db
        .find_session(&token.hash())
        .await?
        .filter(|s| s.is_active(now));
    Ok((session, Some(token)))
}

async fn sign_out(
    state: &web::Data<AppState>,
    request: &LogoutRequest,
    session: Option<Session>,
) -> HttpResponse {
    let ended = match session {
        Some(session) => {
            match logout::end_session(&state.db, &state.config.issuer, &session, state.clock.now())
                .await
            {
                Ok(ended) => {
                    tracing::info!(sid = %session.id, sessions = ended.report.sessions, refresh_tokens = ended.report.refresh_tokens, notifications = ended.report.notification_count, "signed out");
                    ended
                }
                Err(e) => return outcome::unavailable(&e),
            }
        }
        None => Ended::default(),
    };
    delivery::deliver_now(state, &ended.report.notifications).await;
    let cleared = cookies::expired(&state.config, cookies::names(&state.config).session);
    let mut response = match (request.redirect_target(), ended.frontchannel.is_empty()) {
        (Some(target), true) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, target))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        (Some(target), false) => pages::signing_out(&ended.frontchannel, &target),
        (None, _) => pages::signed_out(&ended.frontchannel),
    };
    if let Err(e) = response.add_cookie(&cleared) {
        tracing::warn!(error = %e, "cannot clear the session cookie");
    }
    response
}
