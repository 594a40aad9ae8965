//! Starting (and resuming) an authorization request: validate, look at the browser's session, decide.

use std::collections::BTreeMap;

use super::{FlowContext, Outcome, issue};
use crate::authorize::{AuthorizationRequest, AuthorizeError, client_id_of, target_of, validate};
use crate::client::Client;
use crate::decision::{Context, Decision, decide};
use crate::interaction::{Entry, Interaction, Keeping, Stage};
use crate::oauth_error::OAuthErrorCode;
use crate::params::Params;
use crate::ports::{OidcStore, StoreError, Write};
use crate::session::{Session, SessionToken};
use crate::token::IdTokenClaims;
use crate::user::User;

/// A validated request and its client.
pub struct Flow {
    pub client: Client,
    pub request: AuthorizationRequest,
}

/// What happened during this very interaction.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub just_logged_in: bool,
    pub just_consented: bool,
}

async fn parse(
    ctx: &FlowContext<'_>,
    params: &Params,
) -> Result<Result<Flow, Outcome>, StoreError> {
    let client_id = match client_id_of(params) {
        Ok(id) => id,
        Err(e) => return Ok(Err(Outcome::Page(e))),
    };
    let Some(client) = ctx.store.find_client(&client_id).await? else {
        return Ok(Err(Outcome::Page(AuthorizeError::page(
            OAuthErrorCode::InvalidRequest,
            "The application that sent you here (its client_id) is not registered with this sign-in service.",
        ))));
    };
    Ok(validated(params, client).map_err(|e| respond_error(ctx, &e)))
}

fn validated(params: &Params, client: Client) -> Result<Flow, AuthorizeError> {
    let target = target_of(params, &client)?;
    let request = validate(params, &client, target)?;
    Ok(Flow { client, request })
}

/// An interaction's stored request, validated again against its client as read for this request
/// (`client` must be the interaction's: the caller looked it up by `interaction.client`).
fn stored(interaction: &Interaction, client: Client) -> Result<Flow, AuthorizeError> {
    if client.id != interaction.client {
        return Err(AuthorizeError::page(
            OAuthErrorCode::InvalidRequest,
            "this sign-in belongs to another application",
        ));
    }
    let params = Params::new(interaction.params.clone().into_iter().collect());
    validated(&params, client)
}

fn respond_error(ctx: &FlowContext<'_>, error: &AuthorizeError) -> Outcome {
    match error.response(ctx.issuer) {
        Some(response) => Outcome::Respond(response),
        None => Outcome::Page(error.clone()),
    }
}

/// The browser's session and its user, when both are still good.
pub async fn current_session(
    ctx: &FlowContext<'_>,
    token: Option<&SessionToken>,
) -> Result<Option<(Session, User)>, StoreError> {
    let Some(token) = token else { return Ok(None) };
    let Some(mut session) = ctx
        .store
        .find_session(&token.hash())
        .await?
        .filter(|s| s.is_active(ctx.now))
    else {
        return Ok(None);
    };
    let Some(user) = ctx
        .store
        .find_user_by_id(session.user_id)
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(None);
    };
    // Best effort: a use that cannot be written down does not fail the request it was part of.
    if session.seen_due(ctx.now) && ctx.store.touch_session(session.id, ctx.now).await.is_ok() {
        session.last_seen_at = ctx.now;
    }
    Ok(Some((session, user)))
}

/// `GET|POST /authorize`.
pub async fn begin(
    ctx: &FlowContext<'_>,
    params: &Params,
    token: Option<&SessionToken>,
) -> Result<Outcome, StoreError> {
    let flow = match parse(ctx, params).await? {
        Ok(flow) => flow,
        Err(outcome) => return Ok(outcome),
    };
    let browser = current_session(ctx, token).await?;
    let step = Step {
        progress: Progress::default(),
        writes: Vec::new(),
    };
    proceed(ctx, flow, browser, params.to_map(), None, step).await
}

/// What a step brings to `resume`: what happened, and the writes it made so far (the session a
/// login started), sent with the step's own in one batch.
pub struct Step {
    pub progress: Progress,
    pub writes: Vec<Write>,
}

/// Continues a stored interaction after the user logged in or consented. `client` is the
/// interaction's, as read for this request.
pub async fn resume(
    ctx: &FlowContext<'_>,
    interaction: Interaction,
    client: Client,
    browser: Option<(Session, User)>,
    mut step: Step,
) -> Result<Outcome, StoreError> {
    let flow = match stored(&interaction, client) {
        Ok(flow) => flow,
        Err(e) => {
            step.writes.extend(ended(&interaction));
            ctx.store.write_batch(step.writes).await?;
            return Ok(respond_error(ctx, &e));
        }
    };
    let map = interaction.params.clone();
    proceed(ctx, flow, browser, map, Some(interaction), step).await
}

/// `sub` of an `id_token_hint` Valet issued (OIDC Core §3.1.2.1): the signature and issuer must hold;
/// an expired hint still names the user.
fn hinted_subject(ctx: &FlowContext<'_>, hint: &str) -> Option<String> {
    let payload = ctx.ring.verify(hint, "JWT").ok()?;
    let claims: IdTokenClaims = serde_json::from_slice(&payload).ok()?;
    (claims.iss == ctx.issuer.as_str()).then_some(claims.sub)
}

/// Decides what comes next, and ends the step with one batch of writes: those it brought (`step`)
/// and its own (the end of the interaction, the grant and the code). Only a next page writes its
/// interaction after the batch.
async fn proceed(
    ctx: &FlowContext<'_>,
    flow: Flow,
    browser: Option<(Session, User)>,
    params: BTreeMap<String, String>,
    existing: Option<Interaction>,
    Step {
        progress,
        mut writes,
    }: Step,
) -> Result<Outcome, StoreError> {
    let hinted = match &flow.request.id_token_hint {
        Some(hint) => match hinted_subject(ctx, hint) {
            Some(sub) => Some(sub),
            None => {
                let error = AuthorizeError::redirect(
                    &flow.request.target,
                    OAuthErrorCode::InvalidRequest,
                    "id_token_hint is not an ID token this provider issued",
                );
                ctx.store.write_batch(writes).await?;
                return Ok(respond_error(ctx, &error));
            }
        },
        None => None,
    };
    let grant = match &browser {
        Some((_, user)) => ctx.store.find_live_grant(user.id, flow.client.id).await?,
        None => None,
    };
    let decision_ctx = Context {
        session: browser.as_ref().map(|(s, u)| (s, u)),
        grant: grant.as_ref(),
        hinted_subject: hinted.as_deref(),
        just_logged_in: progress.just_logged_in,
        just_consented: progress.just_consented,
    };
    let stage = match decide(&flow.request, &flow.client, decision_ctx, ctx.now) {
        Decision::Issue => {
            writes.extend(existing.as_ref().and_then(ended));
            let Some((session, user)) = browser else {
                ctx.store.write_batch(writes).await?;
                return Ok(Outcome::Page(AuthorizeError::page(
                    OAuthErrorCode::ServerError,
                    "no session to issue a code for",
                )));
            };
            let response = issue::issue_code(ctx, &flow, (&session, &user), grant, &mut writes);
            ctx.store.write_batch(writes).await?;
            return Ok(Outcome::Respond(response));
        }
        Decision::Refuse(code, why) => {
            writes.extend(existing.as_ref().and_then(ended));
            ctx.store.write_batch(writes).await?;
            return Ok(respond_error(
                ctx,
                &AuthorizeError::redirect(&flow.request.target, code, why),
            ));
        }
        Decision::Login => Stage::Login,
        Decision::Consent => Stage::Consent,
    };
    ctx.store.write_batch(writes).await?;
    match existing {
        Some(mut interaction) => {
            interaction.stage = stage;
            if let Some((session, user)) = &browser {
                interaction.session_id = Some(session.id);
                interaction.user_id = Some(user.id);
            }
            keep(ctx.store, &mut interaction).await?;
            Ok(Outcome::Interact {
                interaction,
                entry: None,
                client: Box::new(flow.client),
            })
        }
        None => {
            let signed_in = browser
                .as_ref()
                .map(|(session, user)| (session.id, user.id));
            let (interaction, entry) = start(ctx, flow.client.id, params, stage, signed_in).await?;
            Ok(Outcome::Interact {
                interaction,
                entry: Some(entry),
                client: Box::new(flow.client),
            })
        }
    }
}

/// A new interaction: a login page is sealed into its handle (nothing is written), any other page
/// (or a request too large to carry) is stored. One that starts for a browser already signed in
/// (`signed_in`: its session and user), as a consent page does, belongs to that session's user:
/// only they may answer it.
async fn start(
    ctx: &FlowContext<'_>,
    client: uuid::Uuid,
    params: BTreeMap<String, String>,
    stage: Stage,
    signed_in: Option<(uuid::Uuid, uuid::Uuid)>,
) -> Result<(Interaction, Entry), StoreError> {
    if stage == Stage::Login
        && let Some(sealed) =
            Interaction::start_sealed(client, &params, ctx.now, ctx.random, ctx.master)
    {
        return Ok(sealed);
    }
    let (mut interaction, handle) = Interaction::start(client, params, stage, ctx.now, ctx.random);
    if let Some((session_id, user_id)) = signed_in {
        interaction.session_id = Some(session_id);
        interaction.user_id = Some(user_id);
    }
    ctx.store
        .insert_interaction(&interaction, &handle.hash())
        .await?;
    Ok((interaction, Entry::stored(handle)))
}

/// Writes an interaction that moved on (its stage, session or user changed): its row is updated,
/// or a sealed login page is stored from now on, under its handle's hash.
pub async fn keep(store: &dyn OidcStore, interaction: &mut Interaction) -> Result<(), StoreError> {
    match std::mem::replace(&mut interaction.keeping, Keeping::Stored) {
        Keeping::Stored => store.update_interaction(interaction).await,
        Keeping::Sealed(handle_hash) => store.insert_interaction(interaction, &handle_hash).await,
    }
}

/// The write that ends an interaction: a stored one is deleted; a sealed one has nothing to delete.
fn ended(interaction: &Interaction) -> Option<Write> {
    interaction
        .is_stored()
        .then_some(Write::DeleteInteraction(interaction.id))
}

/// The user pressed "Deny" on the consent page: `access_denied` goes back to the client.
pub async fn deny(
    ctx: &FlowContext<'_>,
    interaction: Interaction,
    client: Client,
) -> Result<Outcome, StoreError> {
    if interaction.is_stored() {
        ctx.store.delete_interaction(interaction.id).await?;
    }
    let error = match stored(&interaction, client) {
        Ok(flow) => AuthorizeError::redirect(
            &flow.request.target,
            OAuthErrorCode::AccessDenied,
            "the user denied access",
        ),
        Err(e) => e,
    };
    Ok(respond_error(ctx, &error))
}

/// The stored request of an interaction, validated again against its client as read for this
/// request (None if it no longer is valid).
pub fn flow_of(interaction: &Interaction, client: &Client) -> Option<Flow> {
    stored(interaction, client.clone()).ok()
}
