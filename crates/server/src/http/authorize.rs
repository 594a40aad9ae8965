//! `GET|POST /authorize` (OIDC Core §3.1.2.1: both methods; POST bodies are form-encoded).
//!
//! When the request needs the user (to sign in, or to consent), a `GET` is answered with that page
//! itself, as Keycloak does: one round trip fewer than a redirect to `/interaction/{handle}`, where
//! the page's form posts and where later steps show. A `POST` is answered with the redirect, so
//! that reloading the page does not send the request again.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use valet_core::flow::{self, Outcome};
use valet_core::session::SessionToken;

use super::{cookies, interaction, outcome};
use crate::state::AppState;

pub async fn authorize(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let params = match super::request_params(&req, &body) {
        Ok(params) => params,
        Err(page) => return *page,
    };
    let token =
        cookies::read(&req, cookies::names(&state.config).session).map(|t| SessionToken::parse(&t));
    let published = state.published();
    let ctx = state.flow(&published.ring);
    let result = match flow::begin(&ctx, &params, token.as_ref()).await {
        Ok(Outcome::Interact {
            interaction,
            entry: Some(entry),
            client,
        }) if req.method() == Method::GET => interaction::page(
            &ctx,
            &state,
            entry.handle.expose(),
            &interaction,
            &client,
            None,
        )
        .await
        .map(|mut page| {
            let binding = cookies::interaction(&state.config, entry.binding.expose());
            let _ = page.add_cookie(&binding);
            page
        }),
        other => other.map(|outcome| outcome::render(&state, outcome)),
    };
    result.unwrap_or_else(|e| outcome::unavailable(&e))
}
