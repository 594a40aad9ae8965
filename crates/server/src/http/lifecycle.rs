//! `POST /revoke` (RFC 7009) and `POST /introspect` (RFC 7662); both need an authenticated client.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use valet_core::oauth_error::OAuthErrorCode;
use valet_core::token::{TokenError, introspect as check, revoke as revoke_token};

use super::client_request::{authenticated_form, error};
use crate::state::AppState;

pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (params, client) = match authenticated_form(&state, &req, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let token = match params.get("token") {
        Ok(Some(token)) => token,
        Ok(None) => return error(&TokenError::invalid_request("token is required")),
        Err(e) => return error(&e.into()),
    };
    let published = state.published();
    let result = revoke_token(
        token,
        &client,
        &state.config.issuer,
        &published.ring,
        &state.db,
        state.clock.now(),
    )
    .await;
    match result {
        Ok(()) => {
            tracing::info!(client_id = %client.client_id.as_str(), "token revoked (or unknown)");
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        Err(e) => error(&e),
    }
}

pub async fn introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (params, caller) = match authenticated_form(&state, &req, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    // RFC 7662 §2.1: the caller must be authorized; a public client proves nothing about itself.
    if caller.is_public() {
        let refused = TokenError::new(
            OAuthErrorCode::InvalidClient,
            "introspection needs a confidential client",
        );
        return HttpResponse::Unauthorized()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({
                "error": refused.code.as_str(),
                "error_description": refused.description,
            }));
    }
    let token = match params.get("token") {
        Ok(Some(token)) => token,
        Ok(None) => return error(&TokenError::invalid_request("token is required")),
        Err(e) => return error(&e.into()),
    };
    let published = state.published();
    match check(
        token,
        &state.config.issuer,
        &published.ring,
        &state.db,
        state.clock.now(),
    )
    .await
    {
        Ok(answer) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(answer),
        Err(e) => error(&e.into()),
    }
}
