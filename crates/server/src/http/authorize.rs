//! `GET|POST /authorize` (OIDC Core §3.1.2.1: both methods; POST bodies are form-encoded).

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use valet_core::flow;
use valet_core::params::Params;
use valet_core::session::SessionToken;

use super::{cookies, outcome};
use crate::pages;
use crate::state::AppState;

pub async fn authorize(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let params = if req.method() == actix_web::http::Method::POST {
        let form = req
            .content_type()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded");
        match std::str::from_utf8(&body) {
            Ok(text) if form => Params::parse_urlencoded(text),
            _ => {
                return pages::error(
                    StatusCode::BAD_REQUEST,
                    "This sign-in request cannot be completed",
                    "The request must be a form (application/x-www-form-urlencoded).",
                );
            }
        }
    } else {
        Params::parse_urlencoded(req.query_string())
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
