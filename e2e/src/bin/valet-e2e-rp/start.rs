//! GET /start: sends the browser to the provider's authorization endpoint (OIDC Core §3.1.2.1) with
//! PKCE S256 (RFC 7636 §4.2), a fresh `state` and `nonce`, the configured scope, and `prompt` when
//! /start was given one (`/start?prompt=none`).

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpResponse, web};
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow};
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge};
use serde::Deserialize;

use crate::page;
use crate::relying_party::{Pending, RelyingParty};

#[derive(Deserialize)]
pub struct StartQuery {
    prompt: Option<String>,
}

pub async fn start(rp: web::Data<RelyingParty>, query: web::Query<StartQuery>) -> HttpResponse {
    let metadata = match rp.discover().await {
        Ok(metadata) => metadata,
        Err(err) => return page::rp_error(&err),
    };
    let client = rp.client(metadata.clone());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(rp.config.scopes.iter().cloned())
        .set_pkce_challenge(challenge);
    for prompt in query.prompt.iter().flat_map(|p| p.split_whitespace()) {
        request = request.add_prompt(auth_prompt(prompt));
    }
    let (url, state, nonce) = request.url();
    rp.expect(
        state.into_secret(),
        Pending {
            metadata,
            verifier,
            nonce,
        },
    );
    HttpResponse::SeeOther()
        .insert_header((LOCATION, url.as_str()))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

/// The crate reads prompt values only through serde; an unknown one becomes an extension value.
fn auth_prompt(value: &str) -> CoreAuthPrompt {
    serde_json::from_value(serde_json::Value::from(value))
        .unwrap_or_else(|_| CoreAuthPrompt::Extension(value.to_owned()))
}
