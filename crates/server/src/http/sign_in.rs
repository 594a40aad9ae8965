//! The moment a user is authenticated at an interaction (after the password, or the password and a
//! second factor): the SSO session starts, with the RFC 8176 `amr` and the `acr` of how it
//! happened, the browser's previous session ends, and the authorization request carries on.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use valet_core::account::methods;
use valet_core::client::Client;
use valet_core::flow::{self, FlowContext, Progress, Step};
use valet_core::interaction::Interaction;
use valet_core::ports::{StoreError, Write};
use valet_core::session::{LoginOrigin, Session, SessionToken, SignInCheck};
use valet_core::user::User;

use super::client_ip::client_ip;
use super::cookies;
use super::interaction::next;
use super::throttle::device;
use crate::state::AppState;

/// How the user authenticated: RFC 8176 `amr` values and the `acr` they add up to.
pub(crate) struct SignIn {
    amr: &'static [&'static str],
    acr: &'static str,
}

impl SignIn {
    pub(super) const PASSWORD: Self = Self {
        amr: &[methods::PWD],
        acr: methods::ACR_SINGLE,
    };
    pub(super) const PASSWORD_AND_CODE: Self = Self {
        amr: &[methods::PWD, methods::OTP],
        acr: methods::ACR_MFA,
    };
}

pub(super) fn see_interaction(state: &AppState, handle: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            state
                .config
                .issuer
                .endpoint(&format!("interaction/{handle}")),
        ))
        .finish()
}

/// Moves a sign-in past the password (to a second factor or an enrolment), into its stored
/// interaction. A password change or a disabling ends such interactions; one that committed after
/// the password was checked but before the interaction was written did not see it, so the account
/// is read again once the interaction is stored (waiting for any change under way): when the
/// password it was checked against is gone, the interaction is deleted, and its page shows the
/// login form again.
pub(super) async fn keep_past_password(
    ctx: &FlowContext<'_>,
    interaction: &mut Interaction,
    user: &User,
) -> Result<(), StoreError> {
    flow::keep(ctx.store, interaction).await?;
    if !ctx
        .store
        .credentials_hold(user.id, user.password_hash.as_ref())
        .await?
    {
        tracing::info!("sign-in voided: the account changed meanwhile");
        ctx.store.delete_interaction(interaction.id).await?;
    }
    Ok(())
}

/// The user is authenticated: start their SSO session (ending the browser's previous one) and
/// carry on with the authorization request (of `client`, the interaction's).
pub(super) async fn sign_in(
    ctx: &FlowContext<'_>,
    state: &AppState,
    req: &HttpRequest,
    handle: &str,
    (interaction, client): (Interaction, Client),
    user: User,
    how: SignIn,
) -> Result<HttpResponse, StoreError> {
    let origin = LoginOrigin {
        ip: client_ip(req, &state.config.trusted_proxies).map(|ip| ip.to_string()),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let (session, token) = Session::start(
        user.id,
        how.amr.iter().map(|m| (*m).to_owned()).collect(),
        Some(how.acr.to_owned()),
        origin,
        ctx.now,
        ctx.session_ttl,
        ctx.random,
    );
    let previous =
        cookies::read(req, cookies::names(&state.config).session).map(|t| SessionToken::parse(&t));
    let old = match &previous {
        Some(token) => ctx.store.find_session(&token.hash()).await?,
        None => None,
    };
    // The session is written in one batch with what the flow writes next (the end of the
    // interaction, the grant and the code).
    let (client_row, sid) = (interaction.client, session.id);
    let checked = SignInCheck {
        password_hash: user.password_hash.clone(),
        interaction: interaction.is_stored().then_some(interaction.id),
    };
    let step = Step {
        progress: Progress {
            just_logged_in: true,
            just_consented: false,
        },
        writes: vec![Write::InsertSession {
            session: session.clone(),
            token_hash: token.hash(),
            checked,
        }],
    };
    // The sign-in is complete: this browser's later attempts at the account count apart.
    let device = device::cookie(state, req, ctx.random, &user, ctx.now);
    let result = match flow::resume(ctx, interaction, client, Some((session, user)), step).await {
        // The password changed, the account was disabled or the interaction ended while this
        // sign-in was under way: nothing was written, and the interaction's page says what now
        // (the login form again, or that the sign-in is over).
        Err(StoreError::Stale(what)) => {
            tracing::info!(client = %client_row, "sign-in voided: {what} changed meanwhile");
            return Ok(see_interaction(state, handle));
        }
        other => other?,
    };
    // Only a sign-in that held replaces the browser's previous session. The new one is written
    // already: failing to end the old one (it expires on its own) does not fail the sign-in.
    if let Some(old) = old
        && let Err(e) = ctx
            .store
            .end_session(old.id, ctx.now, "replaced by a new login")
            .await
    {
        tracing::warn!(error = %e, "cannot end the session a sign-in replaced");
    }
    tracing::info!(client = %client_row, %sid, acr = how.acr, "user logged in");
    let mut response = next(state, handle, result);
    let _ = response.add_cookie(&cookies::session(&state.config, token.expose()));
    if let Some(device) = device {
        let _ = response.add_cookie(&device);
    }
    Ok(response)
}
