//! `POST /token` (RFC 6749 §3.2): client authentication, then one grant type per core module. Responses
//! are JSON and never cached (RFC 6749 §5.1).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde_json::json;
use valet_core::client_auth;
use valet_core::oauth_error::OAuthErrorCode;
use valet_core::params::Params;
use valet_core::token::{Minter, TokenError, client_credentials, exchange_code, refresh};

use super::client_auth::{client_auth_error_response, presented_credentials};
use crate::state::AppState;

fn error(e: &TokenError) -> HttpResponse {
    let status = match e.code {
        OAuthErrorCode::ServerError => {
            tracing::error!(description = %e.description, "token endpoint failure");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    };
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(json!({ "error": e.code.as_str(), "error_description": valet_core::oauth_error::safe_description(&e.description) }))
}

pub async fn token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let form = req
        .content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded");
    let params = match std::str::from_utf8(&body) {
        Ok(text) if form => Params::parse_urlencoded(text),
        _ => {
            return error(&TokenError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
    };
    let creds = match presented_credentials(&req, &params) {
        Ok(creds) => creds,
        Err(e) => return client_auth_error_response(&e),
    };
    let now = state.clock.now();
    let issuer = &state.config.issuer;
    let audiences = [issuer.endpoint("token"), issuer.as_str().to_owned()];
    let master = state.master_key();
    let client = match client_auth::authenticate(
        &creds, &state.db, &state.db, master, &audiences, now,
    )
    .await
    {
        Ok(authenticated) => authenticated.client,
        Err(e) => return client_auth_error_response(&e),
    };
    let published = state.published();
    let minter = Minter {
        issuer,
        ring: &published.ring,
        random: &valet_core::random::OsRandom,
        now,
    };
    let lifetimes = state.config.tokens.policy.for_client(&client);
    let alg = client
        .metadata
        .access_token_signed_alg
        .unwrap_or(state.config.tokens.access_token_alg);
    let result = match params.get("grant_type") {
        Ok(Some("authorization_code")) => {
            exchange_code(&minter, &lifetimes, alg, &state.db, &client, &params).await
        }
        Ok(Some("refresh_token")) => {
            refresh(&minter, &lifetimes, alg, &state.db, &client, &params).await
        }
        Ok(Some("client_credentials")) => {
            client_credentials(&minter, &lifetimes, alg, &client, &params)
        }
        Ok(Some(other)) => Err(TokenError::new(
            OAuthErrorCode::UnsupportedGrantType,
            format!("the grant type `{other}` is not supported"),
        )),
        Ok(None) => Err(TokenError::invalid_request("grant_type is required")),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(response) => {
            tracing::info!(client_id = %client.client_id.as_str(), "tokens issued");
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::PRAGMA, "no-cache"))
                .json(response)
        }
        Err(e) => {
            tracing::info!(client_id = %client.client_id.as_str(), error = %e.code, "token request refused");
            error(&e)
        }
    }
}
