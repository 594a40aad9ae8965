//! GET /refresh: redeems the latest sign-in's refresh token (RFC 6749 §6) with client_secret_basic and
//! shows the outcome: `#refreshed` when the provider issued new tokens (the new refresh token, if
//! any, replaces the old), or the provider's error response as `#error` (`error=invalid_grant`) and
//! `#error-description`, like the callback's error page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use openidconnect::{OAuth2TokenResponse, RequestTokenError};

use crate::page::{self, escape};
use crate::relying_party::{RelyingParty, Session, error_chain};

pub async fn refresh(rp: web::Data<RelyingParty>) -> HttpResponse {
    let Some(session) = rp.session() else {
        let body = "<p>No sign-in has brought a refresh token yet.</p>";
        return page::render(StatusCode::CONFLICT, "Nothing to refresh", body);
    };
    let client = rp.client(session.metadata.clone());
    let request = match client.exchange_refresh_token(&session.refresh_token) {
        Ok(request) => request,
        Err(err) => return page::rp_error(&err),
    };
    match request.request_async(&rp.http).await {
        Ok(tokens) => {
            if let Some(rotated) = tokens.refresh_token() {
                rp.keep(Session {
                    refresh_token: rotated.clone(),
                    ..session
                });
            }
            let expires = tokens
                .expires_in()
                .map_or("no expiry given".to_owned(), |d| {
                    format!("expires in {} s", d.as_secs())
                });
            page::render(
                StatusCode::OK,
                "Refreshed",
                &format!("<p id=\"refreshed\">A new access token ({expires}).</p>"),
            )
        }
        Err(RequestTokenError::ServerResponse(answer)) => page::render(
            StatusCode::OK,
            "Refresh failed",
            &format!(
                "<p id=\"error\">error={}</p><p id=\"error-description\">{}</p>",
                escape(answer.error().as_ref()),
                escape(answer.error_description().map_or("", String::as_str))
            ),
        ),
        Err(other) => page::render(
            StatusCode::BAD_GATEWAY,
            "Refresh failed",
            &format!("<pre>token: {}</pre>", escape(&error_chain(&other))),
        ),
    }
}
