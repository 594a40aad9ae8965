//! Turning a flow `Outcome` into the browser's response: a 303 to the client or to the interaction
//! page, a form_post page, or an HTML error page (never a redirect, OIDC Core §3.1.2.6).

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use valet_core::authorize::{AuthorizationResponse, AuthorizeError};
use valet_core::flow::Outcome;
use valet_core::oauth_error::OAuthErrorCode;

use super::cookies;
use crate::pages;
use crate::state::AppState;

pub fn render(state: &AppState, outcome: Outcome) -> HttpResponse {
    match outcome {
        Outcome::Respond(response) => respond(response),
        Outcome::Page(error) => error_page(&error),
        Outcome::Interact { entry, .. } => match entry {
            Some(entry) => {
                let location = state
                    .config
                    .issuer
                    .endpoint(&format!("interaction/{}", entry.handle.expose()));
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .cookie(cookies::interaction(&state.config, entry.binding.expose()))
                    .finish()
            }
            // A resumed interaction stays on its page: the caller re-renders it.
            None => pages::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The sign-in could not continue.",
            ),
        },
    }
}

pub fn respond(response: AuthorizationResponse) -> HttpResponse {
    match response {
        AuthorizationResponse::Redirect(location) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        AuthorizationResponse::FormPost { action, fields } => pages::form_post(&action, &fields),
    }
}

pub fn error_page(error: &AuthorizeError) -> HttpResponse {
    let (status, title) = match error.code {
        OAuthErrorCode::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong"),
        _ => (
            StatusCode::BAD_REQUEST,
            "This sign-in request cannot be completed",
        ),
    };
    tracing::info!(error = %error.code, description = %error.description, "authorization request refused with an error page");
    pages::error(status, title, &error.description)
}

/// A storage failure during the flow: logged, and a page that says so without detail; a value the
/// database cannot hold is the request's fault (400).
pub fn unavailable(e: &valet_core::ports::StoreError) -> HttpResponse {
    if let valet_core::ports::StoreError::Invalid(_) = e {
        tracing::info!(error = %e, "request refused by the database");
        return pages::error(
            StatusCode::BAD_REQUEST,
            "Invalid request",
            "The form or link holds characters that cannot be accepted. Go back and try again.",
        );
    }
    tracing::error!(error = %e, "storage failure during the authorization flow");
    pages::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "Sign-in is unavailable right now. Please try again in a moment.",
    )
}
