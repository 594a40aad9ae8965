//! Entering the account pages: `GET /account` (the overview, or a sign-in through the authorization
//! endpoint first) and `GET /account/callback`, where that sign-in returns.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use valet_core::code::CodeValue;
use valet_core::ports::{AdminStore, CodeStore, GrantFilter, SecondFactorStore};
use valet_core::random::{OsRandom, opaque_token};

use super::{Signed, finish, require};
use crate::http::cookies;
use crate::pages::{self, account::AccountView};
use crate::startup::ACCOUNT_CLIENT_ID;
use crate::state::AppState;

/// Sessions and apps shown on the page; more is a sign of something to clean up, not to scroll.
const LISTED: u64 = 50;

/// Sends the browser to sign in for the account pages, remembering the request's `state`.
pub(crate) fn start_sign_in(state: &AppState) -> HttpResponse {
    let issuer = &state.config.issuer;
    let login_state = opaque_token(&OsRandom, 16);
    // The code is never redeemed (the session cookie is what the pages use), but the client is
    // public and PKCE is required of it.
    let verifier = opaque_token(&OsRandom, 32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", ACCOUNT_CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", &issuer.endpoint("account/callback"))
        .append_pair("state", &login_state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    let mut response = HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            issuer.endpoint(&format!("authorize?{query}")),
        ))
        .finish();
    let _ = response.add_cookie(&cookies::account_state(&state.config, &login_state));
    response
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /account/callback`: burns the code and, when the state is this browser's, goes to the page.
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Callback>,
) -> HttpResponse {
    let expected = cookies::read(&req, cookies::names(&state.config).account_state);
    let ours = expected.is_some() && expected.as_deref() == query.state.as_deref();
    if let Some(code) = &query.code
        && let Err(e) = state
            .db
            .consume_code(&CodeValue::parse(code).hash(), state.clock.now())
            .await
    {
        tracing::warn!(error = %e, "cannot consume the account pages' code");
    }
    if !ours || query.error.is_some() {
        return pages::message_with_link(
            StatusCode::BAD_REQUEST,
            "Sign-in did not complete",
            "The sign-in for your account page was cancelled or came from another browser window.",
            ("Try again", &state.config.issuer.endpoint("account")),
        );
    }
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, state.config.issuer.endpoint("account")))
        .finish();
    let _ = response.add_cookie(&cookies::expired(
        &state.config,
        cookies::names(&state.config).account_state,
    ));
    response
}

#[derive(Deserialize)]
pub struct Overview {
    done: Option<String>,
}

/// `GET /account`.
pub async fn overview(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Overview>,
) -> HttpResponse {
    let signed = match require(&state, &req).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    finish(render(&state, &signed, query.done.as_deref(), None).await)
}

/// The overview page, with a notice (`done`) or a form's error.
pub(crate) async fn render(
    state: &AppState,
    signed: &Signed,
    done: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, valet_core::ports::StoreError> {
    let now = state.clock.now();
    let user = &signed.user;
    let mfa = state.db.mfa(user.id).await?;
    let sessions = state
        .db
        .user_sessions(user.id, true, None, LISTED, now)
        .await?;
    let filter = GrantFilter {
        user_id: Some(user.id),
        client: None,
        live_only: true,
    };
    let grants = state.db.page_grants(filter, None, LISTED, now).await?;
    let client_ids: Vec<_> = grants.iter().map(|g| g.grant.client).collect();
    let clients = state.db.clients_by_ids(&client_ids).await?;
    let apps = grants
        .iter()
        .filter_map(|g| {
            let client = clients.iter().find(|c| c.id == g.grant.client)?;
            (client.client_id.as_str() != ACCOUNT_CLIENT_ID).then_some((g, client))
        })
        .collect::<Vec<_>>();
    Ok(pages::account::overview(&AccountView {
        action: &state.config.issuer.endpoint("account"),
        csrf: &signed.csrf(),
        user,
        current_session: signed.session.id,
        mfa: &mfa,
        password_min: state.config.account.password.min_length,
        sessions: &sessions,
        apps: &apps,
        done,
        error,
    }))
}
