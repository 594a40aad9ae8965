//! The interaction pages (`/interaction/{handle}`): login and consent, server-rendered forms that work
//! without JavaScript. Every POST must carry the interaction's CSRF token and come from the browser that
//! started the interaction (its binding cookie).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use valet_core::client::Client;
use valet_core::decision::requires_mfa;
use valet_core::flow::{self, FlowContext, Outcome, Progress, Step};
use valet_core::interaction::{Interaction, InteractionHandle, Stage, binds_stored};
use valet_core::password::Password;
use valet_core::ports::{StoreError, UserStore};
use valet_core::session::SessionToken;
use valet_core::user::User;

use super::sign_in::{SignIn, keep_past_password, see_interaction, sign_in};
use super::throttle::{Attempt, too_many};
use super::{cookies, outcome};
use super::{enrolment, second_factor};
use crate::pages::{self, ConsentView, LoginView, SecondFactorView};
use crate::password_work;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    username: String,
    password: String,
}

#[derive(Deserialize)]
pub struct ConsentForm {
    csrf: String,
    decision: String,
}

pub(super) fn expired() -> HttpResponse {
    pages::error(
        StatusCode::BAD_REQUEST,
        "This sign-in has expired",
        "The sign-in page is no longer valid. Go back to the application and start again.",
    )
}

/// The interaction named by the URL, if it is alive and this browser started it (its cookie is
/// the one the interaction was bound to). A sealed handle carries its login page, and the login
/// form (`stage` Login) needs nothing else; once such an interaction moved on, it is stored under
/// the handle's hash like any other, so every other page reads it there first.
async fn load(
    ctx: &FlowContext<'_>,
    req: &HttpRequest,
    state: &AppState,
    handle: &str,
    stage: Option<Stage>,
) -> Result<Option<(Interaction, Client)>, StoreError> {
    let Some(binding) = cookies::read(req, cookies::names(&state.config).interaction) else {
        return Ok(None);
    };
    let sealed = Interaction::open_sealed(handle, &binding, state.master_key());
    let stored = match &sealed {
        Some(_) if stage == Some(Stage::Login) => None,
        Some(_) => find_stored(ctx, handle).await?,
        None if binds_stored(&binding, handle) => find_stored(ctx, handle).await?,
        None => return Ok(None),
    };
    let found = match (stored, sealed) {
        (Some(found), _) => Some(found),
        (None, Some(interaction)) => ctx
            .store
            .find_client_by_id(interaction.client)
            .await?
            .map(|client| (interaction, client)),
        (None, None) => None,
    };
    let Some((interaction, client)) = found else {
        return Ok(None);
    };
    if interaction.is_expired(ctx.now) {
        if interaction.is_stored() {
            ctx.store.delete_interaction(interaction.id).await?;
        }
        return Ok(None);
    }
    Ok((!client.metadata.disabled).then_some((interaction, client)))
}

async fn find_stored(
    ctx: &FlowContext<'_>,
    handle: &str,
) -> Result<Option<(Interaction, Client)>, StoreError> {
    let hash = InteractionHandle::parse(handle).hash();
    ctx.store.find_interaction(&hash).await
}

/// The interaction a form was posted to, when it is at `stage` and the form carries its CSRF token.
pub(super) async fn load_form(
    ctx: &FlowContext<'_>,
    req: &HttpRequest,
    state: &AppState,
    handle: &str,
    stage: Stage,
    csrf: &str,
) -> Result<Option<(Interaction, Client)>, StoreError> {
    let loaded = load(ctx, req, state, handle, Some(stage)).await?;
    Ok(loaded.filter(|(i, _)| i.stage == stage && i.csrf_matches(csrf)))
}

/// The user an interaction has authenticated so far (after the password), still enabled.
pub(super) async fn user_of(
    state: &AppState,
    interaction: &Interaction,
) -> Result<Option<User>, StoreError> {
    Ok(match interaction.user_id {
        Some(id) => state.db.find_user_by_id(id).await?.filter(|u| !u.disabled),
        None => None,
    })
}

/// A refused login: the message, and the name the user typed (kept so only the password is retyped).
pub(super) struct Rejected<'a> {
    pub(super) message: &'a str,
    pub(super) username: &'a str,
}

pub(super) async fn page(
    ctx: &FlowContext<'_>,
    state: &AppState,
    handle: &str,
    interaction: &Interaction,
    client: &Client,
    rejected: Option<Rejected<'_>>,
) -> Result<HttpResponse, StoreError> {
    let Some(flow) = flow::flow_of(interaction, client) else {
        return Ok(expired());
    };
    let user = match interaction.user_id {
        Some(id) => ctx.store.find_user_by_id(id).await?,
        None => None,
    };
    let shown = user.as_ref().map(|u| {
        u.claims
            .name
            .clone()
            .unwrap_or_else(|| u.username.as_str().to_owned())
    });
    let csrf = &interaction.csrf;
    let response = match interaction.stage {
        Stage::Login => {
            let action = state
                .config
                .issuer
                .endpoint(&format!("interaction/{handle}/login"));
            let prefill = rejected
                .as_ref()
                .map(|r| r.username)
                .or(user.as_ref().map(|u| u.username.as_str()))
                .or(flow.request.login_hint.as_deref());
            pages::login(&LoginView {
                action: &action,
                csrf,
                client_name: &client.metadata.name,
                username: prefill,
                error: rejected.as_ref().map(|r| r.message),
                current_user: shown.as_deref(),
                forgot: &state.config.issuer.endpoint("account/forgot"),
                register: state
                    .config
                    .account
                    .self_registration
                    .then(|| state.config.issuer.endpoint("account/register"))
                    .as_deref(),
            })
        }
        Stage::Consent => {
            let action = state
                .config
                .issuer
                .endpoint(&format!("interaction/{handle}/consent"));
            let m = &client.metadata;
            pages::consent(&ConsentView {
                action: &action,
                csrf,
                client_name: &m.name,
                logo_uri: m.logo_uri.as_deref(),
                client_uri: m.client_uri.as_deref(),
                policy_uri: m.policy_uri.as_deref(),
                tos_uri: m.tos_uri.as_deref(),
                user: shown.as_deref().unwrap_or_default(),
                scopes: &flow.request.scopes,
            })
        }
        Stage::Enrol | Stage::Enrolled => match &user {
            Some(user) => {
                let error = rejected.as_ref().map(|r| r.message);
                enrolment::page(state, handle, interaction, client, user, error).await?
            }
            None => return Ok(expired()),
        },
        Stage::SecondFactor => {
            let action = state
                .config
                .issuer
                .endpoint(&format!("interaction/{handle}/second-factor"));
            pages::second_factor(&SecondFactorView {
                action: &action,
                csrf,
                client_name: &client.metadata.name,
                error: rejected.as_ref().map(|r| r.message),
            })
        }
    };
    Ok(pages::allow_form_redirect(
        response,
        &flow.request.target.redirect_uri,
    ))
}

/// `GET /interaction/{handle}`.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    handle: web::Path<String>,
) -> HttpResponse {
    let published = state.published();
    let ctx = state.flow(&published.ring);
    let result = async {
        let Some((interaction, client)) = load(&ctx, &req, &state, &handle, None).await? else {
            return Ok(expired());
        };
        page(&ctx, &state, &handle, &interaction, &client, None).await
    };
    result.await.unwrap_or_else(|e| outcome::unavailable(&e))
}

/// After a step: follow the flow to the next page (same interaction), or answer the client.
pub(super) fn next(state: &AppState, handle: &str, result: Outcome) -> HttpResponse {
    match result {
        Outcome::Interact { entry: None, .. } => see_interaction(state, handle),
        other => {
            let mut response = outcome::render(state, other);
            let _ = response.add_cookie(&cookies::expired(
                &state.config,
                cookies::names(&state.config).interaction,
            ));
            response
        }
    }
}

/// `POST /interaction/{handle}/login`.
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    handle: web::Path<String>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let published = state.published();
    let ctx = state.flow(&published.ring);
    let result = async {
        let Some((interaction, client)) =
            load_form(&ctx, &req, &state, &handle, Stage::Login, &form.csrf).await?
        else {
            return Ok(expired());
        };
        // Counted on the account, however it was named (username or email).
        let account = flow::find_account(ctx.store, &form.username).await?;
        let attempt = Attempt::for_login(&state, &req, account.as_ref(), &form.username);
        if let Some(wait) = attempt.blocked(&state, ctx.now).await? {
            let rejected = Rejected {
                message: "Too many failed sign-in attempts. Wait a moment, then try again.",
                username: &form.username,
            };
            let response = page(&ctx, &state, &handle, &interaction, &client, Some(rejected));
            return Ok(too_many(response.await?, wait));
        }
        let password = Password::new(form.password.clone());
        let user = match password_work::sign_in(account, password).await? {
            Some(user) => user,
            None => {
                tracing::info!(client_id = %client.client_id.as_str(), "login rejected");
                attempt.failed(&state, ctx.now).await?;
                return page(
                    &ctx,
                    &state,
                    &handle,
                    &interaction,
                    &client,
                    Some(Rejected {
                        message: "The username or password is incorrect.",
                        username: &form.username,
                    }),
                )
                .await;
            }
        };
        attempt.succeeded(&state).await?;
        let mut user = user;
        second_factor::upgrade_hash(&state, &mut user, &form.password).await;
        if user.second_factor {
            let mut interaction = interaction;
            interaction.stage = Stage::SecondFactor;
            interaction.user_id = Some(user.id);
            keep_past_password(&ctx, &mut interaction, &user).await?;
            return Ok(see_interaction(&state, &handle));
        }
        let needs_mfa = flow::flow_of(&interaction, &client)
            .is_some_and(|f| requires_mfa(&f.request, &f.client));
        if needs_mfa {
            return enrolment::start(&ctx, &state, &handle, interaction, &user).await;
        }
        sign_in(
            &ctx,
            &state,
            &req,
            &handle,
            (interaction, client),
            user,
            SignIn::PASSWORD,
        )
        .await
    };
    result.await.unwrap_or_else(|e| outcome::unavailable(&e))
}

/// `POST /interaction/{handle}/consent`.
pub async fn consent(
    state: web::Data<AppState>,
    req: HttpRequest,
    handle: web::Path<String>,
    form: web::Form<ConsentForm>,
) -> HttpResponse {
    let published = state.published();
    let ctx = state.flow(&published.ring);
    let result = async {
        let Some((interaction, client)) =
            load_form(&ctx, &req, &state, &handle, Stage::Consent, &form.csrf).await?
        else {
            return Ok(expired());
        };
        let token = cookies::read(&req, cookies::names(&state.config).session)
            .map(|t| SessionToken::parse(&t));
        let browser = flow::current_session(&ctx, token.as_ref()).await?;
        let same_user = browser
            .as_ref()
            .is_some_and(|(_, user)| Some(user.id) == interaction.user_id);
        if !same_user {
            return Ok(expired());
        }
        let result = match form.decision.as_str() {
            "allow" => {
                let step = Step {
                    progress: Progress {
                        just_logged_in: false,
                        just_consented: true,
                    },
                    writes: Vec::new(),
                };
                flow::resume(&ctx, interaction, client, browser, step).await?
            }
            _ => flow::deny(&ctx, interaction, client).await?,
        };
        Ok(next(&state, &handle, result))
    };
    result.await.unwrap_or_else(|e| outcome::unavailable(&e))
}
