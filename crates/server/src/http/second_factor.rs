//! The second step of signing in (`POST /interaction/{handle}/second-factor`): after the password,
//! a user with an authenticator enters its current code (RFC 6238, ±1 step, never one already
//! accepted) or one of their single-use recovery codes. Wrong codes count against the throttle like
//! wrong passwords. Also the successful login's password-hash upgrade, which belongs to the same
//! "the password was right" moment.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use valet_core::audit::{Actor, AuditEvent};
use valet_core::interaction::Stage;
use valet_core::mfa::{self, recovery};
use valet_core::password::{Password, PasswordHash};
use valet_core::ports::{AccountStore, SecondFactorStore, StoreError, UserStore};
use valet_core::user::User;

use super::forms::CodeForm;
use super::interaction::{Rejected, load_form, page, user_of};
use super::outcome;
use super::sign_in::{SignIn, sign_in};
use super::throttle::{Attempt, Guarded, too_many};
use crate::state::AppState;

/// `POST /interaction/{handle}/second-factor`.
pub async fn second_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    handle: web::Path<String>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let published = state.published();
    let ctx = state.flow(&published.ring);
    let result = async {
        let loaded =
            load_form(&ctx, &req, &state, &handle, Stage::SecondFactor, &form.csrf).await?;
        let Some((interaction, client)) = loaded else {
            return Ok(super::interaction::expired());
        };
        let Some(user) = user_of(&state, &interaction).await? else {
            return Ok(super::interaction::expired());
        };
        let refuse = |message| Rejected {
            message,
            username: "",
        };
        let attempt = Attempt::new(&state, &req, Guarded::SecondFactor(user.id));
        if let Some(wait) = attempt.blocked(&state, ctx.now).await? {
            let rejected = refuse("Too many wrong codes. Wait a moment, then try again.");
            let response = page(&ctx, &state, &handle, &interaction, &client, Some(rejected));
            return Ok(too_many(response.await?, wait));
        }
        if !check_code(&state, &user, &form.code, ctx.now).await? {
            attempt.failed(&state, ctx.now).await?;
            let rejected = refuse(
                "That code is not right. Enter the current code from your authenticator app, or one of your recovery codes.",
            );
            let mut response =
                page(&ctx, &state, &handle, &interaction, &client, Some(rejected)).await?;
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            return Ok(response);
        }
        attempt.succeeded(&state).await?;
        sign_in(
            &ctx,
            &state,
            &req,
            &handle,
            (interaction, client),
            user,
            SignIn::PASSWORD_AND_CODE,
        )
        .await
    };
    result.await.unwrap_or_else(|e| outcome::unavailable(&e))
}

/// Whether `code` is the user's current TOTP code (one not accepted before: the accepted step is
/// recorded with a compare-and-set) or one of their unused recovery codes (used up here).
pub(crate) async fn check_code(
    state: &AppState,
    user: &User,
    code: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let factor = state.db.mfa(user.id).await?;
    let Some(sealed) = factor.totp_sealed.as_deref().filter(|_| factor.enabled()) else {
        return Ok(false);
    };
    if let Some(hash) = recovery::typed_hash(user.id, code) {
        let event = AuditEvent::new(now, Actor::user(user.id), "user.recovery_code_used")
            .target("user", user.id.to_string());
        return state
            .db
            .use_recovery_code(user.id, &hash, now, &event)
            .await;
    }
    let secret = match mfa::open_secret(state.master_key(), user.id, sealed) {
        Ok(secret) => secret,
        Err(e) => {
            tracing::error!(user_id = %user.id, error = %e, "cannot open a TOTP secret");
            return Ok(false);
        }
    };
    match mfa::verify(&secret, code, now, factor.last_step) {
        Ok(step) => state.db.advance_totp_step(user.id, step).await,
        Err(_) => Ok(false),
    }
}

/// A successful login whose hash was made with older parameters gets the current ones (OWASP), and
/// `user` the hash it is now checked against; a failure to upgrade never fails the login. When
/// another login of the same password upgraded it first, the account is read again and its new
/// hash verified, so this login goes on with it rather than be voided as if the password changed.
pub(super) async fn upgrade_hash(state: &AppState, user: &mut User, password: &str) {
    let Some(old) = user
        .password_hash
        .clone()
        .filter(PasswordHash::needs_rehash)
    else {
        return;
    };
    let hash = match crate::startup::hash_password(Password::new(password)).await {
        Ok(hash) => hash,
        Err(e) => {
            tracing::warn!(user_id = %user.id, error = %e, "cannot upgrade a password hash");
            return;
        }
    };
    match state.db.upgrade_password_hash(user.id, &old, &hash).await {
        Ok(true) => {
            tracing::info!(user_id = %user.id, "password hash upgraded");
            user.password_hash = Some(hash);
        }
        Ok(false) => {
            let Ok(Some(current)) = state.db.find_user_by_id(user.id).await else {
                return;
            };
            let stored = current.password_hash;
            if crate::password_work::verify(stored.clone(), Password::new(password))
                .await
                .unwrap_or(false)
            {
                user.password_hash = stored;
            }
        }
        Err(e) => tracing::warn!(user_id = %user.id, error = %e, "cannot upgrade a password hash"),
    }
}
