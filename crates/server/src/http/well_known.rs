//! Provider metadata: `/.well-known/openid-configuration` (OIDC Discovery 1.0 §4) and
//! `/.well-known/oauth-authorization-server` (RFC 8414 §3), served from bytes serialized at start.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::state::AppState;

pub async fn openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(state.discovery.clone())
}
