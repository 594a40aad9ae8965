//! The JWK Set (RFC 7517 §5): public parts of every published key, serialized once per key refresh.
//! Its `max-age` stays well inside the publication lead time, so caches learn a key before it signs.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::state::AppState;

pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", state.config.keys.jwks_max_age_secs()),
        ))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(state.published().jwks.clone())
}
