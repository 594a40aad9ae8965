//! Setting up two-step verification during a sign-in, when the client requires it (`acr_values=2`,
//! an essential `acr` claim or its `default_acr_values`) and the user has no authenticator yet:
//! after the password, the interaction shows a new secret (`Stage::Enrol`); the first code
//! confirms it (`POST /interaction/{handle}/enrol`), the recovery codes are shown once
//! (`Stage::Enrolled`), and `POST /interaction/{handle}/continue` signs the user in with `pwd` and
//! `otp`. As on the account page, wrong codes count against the throttle and the user's other
//! sessions, signed in with a password alone, end.

use actix_web::{HttpRequest, HttpResponse, web};
use valet_core::audit::{Actor, AuditEvent};
use valet_core::client::Client;
use valet_core::flow::{self, FlowContext};
use valet_core::interaction::{Interaction, Stage};
use valet_core::mfa::{self, TotpSecret};
use valet_core::ports::{SecondFactorStore, StoreError};
use valet_core::random::OsRandom;
use valet_core::revocation::Cascade;
use valet_core::user::User;

use super::forms::{CodeForm, CsrfForm};
use super::interaction::{expired, load_form, user_of};
use super::outcome;
use super::sign_in::{SignIn, keep_past_password, see_interaction, sign_in};
use super::throttle::{Attempt, Guarded, too_many};
use crate::account::mfa::{new_recovery_codes, setup_page};
use crate::delivery::run_cascade;
use crate::pages::{self, EnrolledView};
use crate::state::AppState;

/// After the password: a new pending secret for `user`, and the interaction moves to its setup.
pub(super) async fn start(
    ctx: &FlowContext<'_>,
    state: &AppState,
    handle: &str,
    mut interaction: Interaction,
    user: &User,
) -> Result<HttpResponse, StoreError> {
    let secret = TotpSecret::generate(&OsRandom);
    let sealed = mfa::seal_secret(state.master_key(), &OsRandom, user.id, &secret)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    // Refused when a confirmed factor appeared meanwhile: then it is asked for instead.
    let pending = state.db.begin_totp(user.id, &sealed).await?;
    interaction.stage = if pending {
        Stage::Enrol
    } else {
        Stage::SecondFactor
    };
    interaction.user_id = Some(user.id);
    keep_past_password(ctx, &mut interaction, user).await?;
    Ok(see_interaction(state, handle))
}

/// The user's pending secret, if their setup is still under way.
async fn pending(
    state: &AppState,
    user: &User,
) -> Result<Option<(String, TotpSecret)>, StoreError> {
    let factor = state.db.mfa(user.id).await?;
    let Some(sealed) = factor.totp_sealed.filter(|_| factor.confirmed_at.is_none()) else {
        return Ok(None);
    };
    let secret = mfa::open_secret(state.master_key(), user.id, &sealed)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(Some((sealed, secret)))
}

/// The page of `Stage::Enrol` (the secret) or `Stage::Enrolled` (on to the client).
pub(super) async fn page(
    state: &AppState,
    handle: &str,
    interaction: &Interaction,
    client: &Client,
    user: &User,
    error: Option<&str>,
) -> Result<HttpResponse, StoreError> {
    if interaction.stage == Stage::Enrolled {
        return Ok(enrolled(state, handle, interaction, client, &[]));
    }
    let Some((_, secret)) = pending(state, user).await? else {
        return Ok(expired());
    };
    let action = state
        .config
        .issuer
        .endpoint(&format!("interaction/{handle}/enrol"));
    Ok(setup_page(
        state,
        user,
        &secret,
        &action,
        &interaction.csrf,
        error,
    ))
}

fn enrolled(
    state: &AppState,
    handle: &str,
    interaction: &Interaction,
    client: &Client,
    codes: &[String],
) -> HttpResponse {
    let action = state
        .config
        .issuer
        .endpoint(&format!("interaction/{handle}/continue"));
    pages::enrolled(&EnrolledView {
        action: &action,
        csrf: &interaction.csrf,
        client_name: &client.metadata.name,
        codes,
    })
}

/// `POST /interaction/{handle}/enrol`: the first code from the app.
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    handle: web::Path<String>,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let published = state.published();
    let ctx = state.flow(&published.ring);
    let result = async {
        let loaded = load_form(&ctx, &req, &state, &handle, Stage::Enrol, &form.csrf).await?;
        let Some((mut interaction, client)) = loaded else {
            return Ok(expired());
        };
        let Some(user) = user_of(&state, &interaction).await? else {
            return Ok(expired());
        };
        let Some((sealed, secret)) = pending(&state, &user).await? else {
            return Ok(expired());
        };
        let attempt = Attempt::new(&state, &req, Guarded::SecondFactor(user.id));
        if let Some(wait) = attempt.blocked(&state, ctx.now).await? {
            let message = "Too many wrong codes. Wait a moment, then try again.";
            let page = page(&state, &handle, &interaction, &client, &user, Some(message));
            return Ok(too_many(page.await?, wait));
        }
        let Ok(step) = mfa::verify(&secret, &form.code, ctx.now, None) else {
            attempt.failed(&state, ctx.now).await?;
            let message = "That code is not right. Enter the code your app shows now.";
            return page(&state, &handle, &interaction, &client, &user, Some(message)).await;
        };
        let (codes, hashes) = new_recovery_codes(&user);
        let event = AuditEvent::new(ctx.now, Actor::user(user.id), "user.mfa_enabled")
            .target("user", user.id.to_string());
        let confirmed = state
            .db
            .confirm_totp(user.id, &sealed, step, &hashes, ctx.now, &event)
            .await?;
        if !confirmed {
            return Ok(expired());
        }
        attempt.succeeded(&state).await?;
        // Sessions signed in with the password alone must sign in again with the app.
        let others = Cascade::credentials_changed(user.id, None, "two-step verification turned on");
        run_cascade(&state, &others, Actor::user(user.id), false).await?;
        interaction.stage = Stage::Enrolled;
        flow::keep(ctx.store, &mut interaction).await?;
        let page = enrolled(&state, &handle, &interaction, &client, &codes);
        // "Continue" ends in a redirect to the client, which the page's CSP must allow.
        Ok(match flow::flow_of(&interaction, &client) {
            Some(f) => pages::allow_form_redirect(page, &f.request.target.redirect_uri),
            None => page,
        })
    };
    result.await.unwrap_or_else(|e| outcome::unavailable(&e))
}

/// `POST /interaction/{handle}/continue`: signed in with the password and the new app's code.
pub async fn proceed(
    state: web::Data<AppState>,
    req: HttpRequest,
    handle: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let published = state.published();
    let ctx = state.flow(&published.ring);
    let result = async {
        let loaded = load_form(&ctx, &req, &state, &handle, Stage::Enrolled, &form.csrf).await?;
        let Some((interaction, client)) = loaded else {
            return Ok(expired());
        };
        let Some(user) = user_of(&state, &interaction).await? else {
            return Ok(expired());
        };
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
