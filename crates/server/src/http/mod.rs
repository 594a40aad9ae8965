//! HTTP handlers, one file per endpoint, and the request middleware.

pub mod authorize;
pub mod client_auth;
pub mod client_ip;
pub mod client_request;
pub mod cookies;
pub mod enrolment;
pub(crate) mod forms;
pub mod health;
pub mod interaction;
pub mod jwks;
pub mod lifecycle;
pub mod logout;
pub mod outcome;
mod password_grant;
pub mod second_factor;
mod sign_in;
pub mod telemetry;
pub(crate) mod throttle;
pub mod token;
pub mod userinfo;
pub mod well_known;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use valet_core::params::Params;

/// The parameters of a browser request that may come as GET (query) or POST (form body), as the
/// authorization and end-session endpoints do; a POST that is not a form gets an error page.
pub(crate) fn request_params(req: &HttpRequest, body: &[u8]) -> Result<Params, Box<HttpResponse>> {
    if req.method() != Method::POST {
        return Ok(Params::parse_urlencoded(req.query_string()));
    }
    let form = req
        .content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded");
    match std::str::from_utf8(body) {
        Ok(text) if form => Ok(Params::parse_urlencoded(text)),
        _ => Err(Box::new(crate::pages::error(
            StatusCode::BAD_REQUEST,
            "This request cannot be completed",
            "The request must be a form (application/x-www-form-urlencoded).",
        ))),
    }
}
