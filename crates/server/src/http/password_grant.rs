//! The password grant at `POST /token` (RFC 6749 §4.3), served only with `[tokens] password_grant`
//! and for clients that registered it (`valet_core::token::password_grant`). The user's password is
//! checked exactly as on the login form: throttled per username and client address (429 with
//! `Retry-After`), the same answer for unknown users and wrong passwords, an old hash upgraded.
//! Users with a second factor are refused: this grant cannot ask for it.

use actix_web::{HttpRequest, HttpResponse};
use valet_core::client::{Client, GrantType};
use valet_core::decision::client_requires_mfa;
use valet_core::flow;
use valet_core::keys::SigningAlg;
use valet_core::oauth_error::OAuthErrorCode;
use valet_core::params::Params;
use valet_core::password::Password;
use valet_core::token::{Lifetimes, Minter, TokenError, TokenResponse, password_grant};

use super::client_request::error;
use super::second_factor::upgrade_hash;
use super::throttle::{Attempt, Guarded, account_name, too_many};
use crate::password_work;
use crate::state::AppState;

/// The tokens, or the error response (which may be a 429).
pub(super) async fn tokens(
    state: &AppState,
    req: &HttpRequest,
    minter: &Minter<'_>,
    lifetimes: &Lifetimes,
    alg: SigningAlg,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, HttpResponse> {
    // Before any password is looked at: otherwise every client could test passwords.
    if !client.metadata.grant_types.contains(&GrantType::Password) {
        return Err(error(&TokenError::new(
            OAuthErrorCode::UnauthorizedClient,
            "this client may not use the password grant",
        )));
    }
    if client_requires_mfa(client) {
        return Err(error(&TokenError::new(
            OAuthErrorCode::UnauthorizedClient,
            "this client requires two-step verification, which the password grant cannot ask for",
        )));
    }
    let username = params.get("username").map_err(|e| error(&e.into()))?;
    let password = params.get("password").map_err(|e| error(&e.into()))?;
    let (Some(username), Some(password)) = (username, password) else {
        return Err(error(&TokenError::invalid_request(
            "username and password are required",
        )));
    };
    // The password cannot be checked now (the hashing queue is full, or the database failed):
    // the client may retry, as the login form's user may.
    let unavailable = |e: valet_core::ports::StoreError| {
        tracing::warn!(error = %e, "password grant unavailable");
        error(&TokenError::new(
            OAuthErrorCode::TemporarilyUnavailable,
            "the password cannot be checked now; try again later",
        ))
    };
    let account = flow::find_account(&state.db, username)
        .await
        .map_err(unavailable)?;
    let attempt = Attempt::new(
        state,
        req,
        Guarded::Login(account_name(account.as_ref(), username)),
    );
    if let Some(wait) = attempt
        .blocked(state, minter.now)
        .await
        .map_err(unavailable)?
    {
        let refused =
            TokenError::invalid_grant("too many failed sign-in attempts; try again later");
        return Err(too_many(error(&refused), wait));
    }
    let checked = password_work::sign_in(account, Password::new(password)).await;
    let user = match checked.map_err(unavailable)? {
        Some(user) => user,
        None => {
            attempt
                .failed(state, minter.now)
                .await
                .map_err(unavailable)?;
            return Err(error(&TokenError::invalid_grant(
                "the username or password is incorrect",
            )));
        }
    };
    attempt.succeeded(state).await.map_err(unavailable)?;
    let mut user = user;
    upgrade_hash(state, &mut user, password).await;
    if user.second_factor {
        return Err(error(&TokenError::invalid_grant(
            "this account uses two-step verification, which the password grant cannot ask for; \
             sign in through the authorization endpoint",
        )));
    }
    password_grant(minter, lifetimes, alg, &state.db, client, params, &user)
        .await
        .map_err(|e| error(&e))
}
