//! What the token, revocation and introspection endpoints share: a form-encoded body from an
//! authenticated client (RFC 6749 §2.3, RFC 7009 §2.1, RFC 7662 §2.1), and JSON errors (RFC 6749 §5.2).

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use serde_json::json;
use valet_core::client::Client;
use valet_core::client_auth::{self, ClientAuthError};
use valet_core::oauth_error::OAuthErrorCode;
use valet_core::params::Params;
use valet_core::ports::StoreError;
use valet_core::token::TokenError;

use super::client_auth::{client_auth_error_response, presented_credentials};
use super::throttle::{Attempt, Guarded, too_many};
use crate::state::AppState;

/// `{"error", "error_description"}`, never cached; 500 only for a server-side failure (whose
/// description, which may name the database's tables, goes to the log, not to the client), 503
/// (with `Retry-After`) for work the server cannot take on now.
pub fn error(e: &TokenError) -> HttpResponse {
    let mut description = e.description.as_str();
    let mut response = match e.code {
        OAuthErrorCode::ServerError => {
            tracing::error!(description = %e.description, "token endpoint failure");
            description = "the server could not complete the request";
            HttpResponse::InternalServerError()
        }
        OAuthErrorCode::TemporarilyUnavailable => {
            let mut response = HttpResponse::ServiceUnavailable();
            response.insert_header((header::RETRY_AFTER, "1"));
            response
        }
        _ => HttpResponse::BadRequest(),
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(json!({ "error": e.code.as_str(), "error_description": valet_core::oauth_error::safe_description(description) }))
}

/// A storage failure before the request wrote anything: `temporarily_unavailable` (503, safe to
/// retry) when the database cannot be reached now, otherwise what `TokenError::from` makes of it
/// (`invalid_request` for a value the database cannot hold, `server_error` else); the cause is
/// logged.
pub fn read_failed(e: StoreError) -> HttpResponse {
    match e {
        StoreError::Unavailable(_) => {
            tracing::warn!(error = %e, "token endpoint unavailable");
            error(&TokenError::new(
                OAuthErrorCode::TemporarilyUnavailable,
                "the service is temporarily unavailable; try again later",
            ))
        }
        other => error(&TokenError::from(other)),
    }
}

/// The form parameters and the client that authenticated with them; otherwise the error response.
pub async fn authenticated_form(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(Params, Client), HttpResponse> {
    let form = req
        .content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded");
    let params = match std::str::from_utf8(body) {
        Ok(text) if form => Params::parse_urlencoded(text),
        _ => {
            return Err(error(&TokenError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            )));
        }
    };
    let creds = presented_credentials(req, &params).map_err(|e| client_auth_error_response(&e))?;
    let claimed = creds.claimed_client_id().unwrap_or_default();
    let attempt = Attempt::new(state, req, Guarded::ClientAuth(&claimed));
    let now = state.clock.now();
    match attempt.blocked(state, now).await {
        Ok(Some(wait)) => {
            let refused = ClientAuthError::invalid_client(
                "too many failed client authentications; try again later",
            );
            return Err(too_many(client_auth_error_response(&refused), wait));
        }
        Ok(None) => {}
        Err(e) => return Err(read_failed(e)),
    }
    let issuer = &state.config.issuer;
    // RFC 7523 §3: an assertion's audience is the token endpoint (or the issuer), whichever endpoint
    // it is presented to.
    let audiences = [issuer.endpoint("token"), issuer.as_str().to_owned()];
    let authenticated = client_auth::authenticate(
        &creds,
        &state.db,
        &state.db,
        state.master_key(),
        &audiences,
        now,
    )
    .await;
    let counted = match &authenticated {
        Ok(_) => attempt.succeeded(state).await,
        Err(e) if e.code == OAuthErrorCode::InvalidClient => attempt.failed(state, now).await,
        Err(_) => Ok(()),
    };
    if let Err(e) = counted {
        tracing::warn!(error = %e, "cannot update the client authentication throttle");
    }
    match authenticated {
        Ok(authenticated) => Ok((params, authenticated.client)),
        Err(e) => Err(client_auth_error_response(&e)),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;

    use super::*;

    #[test]
    fn error_statuses_follow_the_code() {
        let status = |code| {
            let response = error(&TokenError::new(code, "x"));
            let retry = response.headers().get(header::RETRY_AFTER).cloned();
            (response.status(), retry.is_some())
        };
        assert_eq!(
            status(OAuthErrorCode::InvalidGrant),
            (StatusCode::BAD_REQUEST, false)
        );
        assert_eq!(
            status(OAuthErrorCode::ServerError),
            (StatusCode::INTERNAL_SERVER_ERROR, false)
        );
        assert_eq!(
            status(OAuthErrorCode::TemporarilyUnavailable),
            (StatusCode::SERVICE_UNAVAILABLE, true),
            "a refusal to take on work now says when to retry"
        );
    }

    #[actix_web::test]
    async fn a_server_failure_keeps_its_cause_in_the_log() {
        let failure = TokenError::from(valet_core::ports::StoreError::Backend(
            "relation \"refresh_tokens\" does not exist".into(),
        ));
        let body = actix_web::body::to_bytes(error(&failure).into_body())
            .await
            .unwrap_or_default();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(body["error"], "server_error");
        assert_eq!(
            body["error_description"],
            "the server could not complete the request"
        );
    }
}
