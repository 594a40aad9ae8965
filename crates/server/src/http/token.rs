//! `POST /token` (RFC 6749 §3.2): client authentication, then one grant type per core module (the
//! password grant only when enabled: `http::password_grant`). Responses are JSON and never cached
//! (RFC 6749 §5.1).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use valet_core::client::Client;
use valet_core::oauth_error::OAuthErrorCode;
use valet_core::token::{
    Minter, TokenError, TokenResponse, client_credentials, exchange_code, refresh,
};

use super::client_request::{authenticated_form, error};
use super::password_grant;
use crate::state::AppState;

pub async fn token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (params, client) = match authenticated_form(&state, &req, &body).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let now = state.clock.now();
    let issuer = &state.config.issuer;
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
    if state.config.tokens.password_grant
        && matches!(params.get("grant_type"), Ok(Some("password")))
    {
        let issued =
            password_grant::tokens(&state, &req, &minter, &lifetimes, alg, &client, &params).await;
        return match issued {
            Ok(response) => issued_response(&client, response),
            Err(response) => response,
        };
    }
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
        Ok(response) => issued_response(&client, response),
        Err(e) => {
            tracing::info!(client_id = %client.client_id.as_str(), error = %e.code, "token request refused");
            error(&e)
        }
    }
}

fn issued_response(client: &Client, response: TokenResponse) -> HttpResponse {
    tracing::info!(client_id = %client.client_id.as_str(), "tokens issued");
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(response)
}
