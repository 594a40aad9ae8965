//! `GET|POST /authorize` (OIDC Core §3.1.2.1: both methods; POST bodies are form-encoded).

use actix_web::{HttpRequest, HttpResponse, web};
use valet_core::flow;
use valet_core::session::SessionToken;

use super::{cookies, outcome};
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
    match flow::begin(&ctx, &params, token.as_ref()).await {
        Ok(result) => outcome::render(&state, result),
        Err(e) => outcome::unavailable(&e),
    }
}
