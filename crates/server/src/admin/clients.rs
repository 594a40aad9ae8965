//! `/clients`: list and search, register (the secret is shown once), read, replace, enable/disable,
//! rotate the secret with an overlap, delete, and revoke every grant to a client.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use valet_admin_api::{
    ClientInput, ClientView, CreatedClient, Page, RotatedSecret, SecretRotation,
};
use valet_core::audit::AuditEvent;
use valet_core::client::{Client, ClientId, ClientMetadata, SecretSealer, TokenEndpointAuthMethod};
use valet_core::ports::{AdminStore, ClientStore};
use valet_core::provision::{ProvisionError, client_from_spec};
use valet_core::random::OsRandom;
use valet_core::revocation::{Cascade, Grants};
use valet_core::secret::Secret;

use super::auth::Admin;
use super::problem::ApiError;
use super::views::{client_entry, client_view};
use super::{ListQuery, RevocationQuery, page, revoke};
use crate::state::AppState;

type Data = web::Data<AppState>;

pub(super) async fn find(state: &AppState, client_id: &str) -> Result<Client, ApiError> {
    let id = ClientId::parse(client_id).map_err(|e| ApiError::NotFound(e.to_string()))?;
    state
        .db
        .find_client(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no client `{client_id}`")))
}

fn invalid(e: ProvisionError) -> ApiError {
    match e {
        ProvisionError::Invalid { field, message, .. } => ApiError::field(field, message),
        ProvisionError::Store(e) => e.into(),
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// The client `input` describes: new, or `existing` rewritten (its secret kept).
fn build(
    state: &AppState,
    input: &ClientInput,
    existing: Option<&Client>,
    secret: Option<&Secret>,
) -> Result<Option<Client>, ApiError> {
    let mut entry = client_entry(input, existing.is_some_and(|c| c.metadata.disabled));
    entry.client_secret = secret.map(|s| s.expose().to_owned());
    if let Some(existing) = existing {
        // The keys are not an API input; a private_key_jwt client keeps its own.
        entry.jwks = existing
            .metadata
            .jwks
            .clone()
            .map(serde_json::Value::Object);
        entry.jwks_uri = existing.metadata.jwks_uri.clone();
    }
    let mut spec = entry.validate(0).map_err(invalid)?;
    if let Some(existing) = existing {
        spec.metadata = merged(&existing.metadata, spec.metadata);
    }
    let sealer = SecretSealer {
        master: state.master_key(),
        random: &OsRandom,
    };
    client_from_spec(spec, existing, state.clock.now(), Some(&sealer)).map_err(invalid)
}

/// `existing` with what `ClientInput` carries taken from `edited`: settings the API does not expose
/// (PKCE, other lifetimes, algorithms, keys, …) and the disabled flag keep their stored values.
fn merged(existing: &ClientMetadata, edited: ClientMetadata) -> ClientMetadata {
    let mut m = existing.clone();
    m.name = edited.name;
    m.logo_uri = edited.logo_uri;
    m.client_uri = edited.client_uri;
    m.policy_uri = edited.policy_uri;
    m.tos_uri = edited.tos_uri;
    m.contacts = edited.contacts;
    m.application_type = edited.application_type;
    m.redirect_uris = edited.redirect_uris;
    m.post_logout_redirect_uris = edited.post_logout_redirect_uris;
    m.grant_types = edited.grant_types;
    m.scopes = edited.scopes;
    m.token_endpoint_auth_method = edited.token_endpoint_auth_method;
    // A client that becomes public must use PKCE; otherwise the stored choice stands.
    m.require_pkce =
        existing.require_pkce || edited.token_endpoint_auth_method == TokenEndpointAuthMethod::None;
    m.id_token_signed_response_alg = edited.id_token_signed_response_alg;
    m.backchannel_logout_uri = edited.backchannel_logout_uri;
    m.backchannel_logout_session_required = edited.backchannel_logout_session_required;
    m.frontchannel_logout_uri = edited.frontchannel_logout_uri;
    m.frontchannel_logout_session_required = edited.frontchannel_logout_session_required;
    m.first_party = edited.first_party;
    m.always_issue_refresh_token = edited.always_issue_refresh_token;
    m.lifetimes.access_token_secs = edited.lifetimes.access_token_secs;
    m.lifetimes.refresh_token_secs = edited.lifetimes.refresh_token_secs;
    m
}

fn needs_secret(input: &ClientInput) -> bool {
    let method = input
        .token_endpoint_auth_method
        .as_deref()
        .unwrap_or("client_secret_basic");
    method.parse::<TokenEndpointAuthMethod>().is_ok_and(|m| {
        matches!(
            m,
            TokenEndpointAuthMethod::ClientSecretBasic
                | TokenEndpointAuthMethod::ClientSecretPost
                | TokenEndpointAuthMethod::ClientSecretJwt
        )
    })
}

#[utoipa::path(get, path = "/clients", tag = "clients", params(ListQuery),
    responses((status = 200, body = Page<ClientView>)), security(("bearer" = [])))]
pub async fn list(
    state: Data,
    _: Admin,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<ClientView>>, ApiError> {
    let limit = query.limit();
    let after = query.after()?;
    let rows = state
        .db
        .page_clients(query.q.as_deref(), after.as_deref(), limit + 1)
        .await?;
    Ok(web::Json(page(
        rows,
        limit,
        |c| c.client_id.as_str().to_owned(),
        client_view,
    )))
}

#[utoipa::path(post, path = "/clients", tag = "clients", request_body = ClientInput,
    responses((status = 201, body = CreatedClient), (status = 400, body = valet_admin_api::Problem), (status = 409, body = valet_admin_api::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: Data,
    admin: Admin,
    input: web::Json<ClientInput>,
) -> Result<HttpResponse, ApiError> {
    let secret = needs_secret(&input).then(|| Secret::generate(&OsRandom));
    let client = build(&state, &input, None, secret.as_ref())?
        .ok_or_else(|| ApiError::BadRequest("nothing to create".into()))?;
    let event = AuditEvent::new(state.clock.now(), admin.0.actor(), "client.created")
        .target("client", client.client_id.as_str());
    state.db.insert_client(&client, &event).await?;
    Ok(HttpResponse::Created().json(CreatedClient {
        client: client_view(&client),
        client_secret: secret.map(|s| s.expose().to_owned()),
    }))
}

#[utoipa::path(get, path = "/clients/{client_id}", tag = "clients",
    responses((status = 200, body = ClientView), (status = 404, body = valet_admin_api::Problem)), security(("bearer" = [])))]
pub async fn read(
    state: Data,
    _: Admin,
    path: web::Path<String>,
) -> Result<web::Json<ClientView>, ApiError> {
    Ok(web::Json(client_view(&find(&state, &path).await?)))
}

#[utoipa::path(put, path = "/clients/{client_id}", tag = "clients", request_body = ClientInput,
    responses((status = 200, body = ClientView), (status = 400, body = valet_admin_api::Problem)), security(("bearer" = [])))]
pub async fn update(
    state: Data,
    admin: Admin,
    path: web::Path<String>,
    input: web::Json<ClientInput>,
) -> Result<web::Json<ClientView>, ApiError> {
    let existing = find(&state, &path).await?;
    if input.client_id != existing.client_id.as_str() {
        return Err(ApiError::field("client_id", "the client_id cannot change"));
    }
    let Some(client) = build(&state, &input, Some(&existing), None)? else {
        return Ok(web::Json(client_view(&existing)));
    };
    let event = AuditEvent::new(state.clock.now(), admin.0.actor(), "client.updated")
        .target("client", client.client_id.as_str());
    state.db.update_client(&client, &event).await?;
    Ok(web::Json(client_view(&client)))
}

#[utoipa::path(post, path = "/clients/{client_id}/disable", tag = "clients", params(RevocationQuery),
    responses((status = 200, body = valet_admin_api::RevocationView)), security(("bearer" = [])))]
pub async fn disable(
    state: Data,
    admin: Admin,
    path: web::Path<String>,
    query: web::Query<RevocationQuery>,
) -> Result<web::Json<valet_admin_api::RevocationView>, ApiError> {
    let client = find(&state, &path).await?;
    revoke(
        &state,
        &admin,
        &Cascade::disable_client(client.id),
        query.dry_run,
    )
    .await
}

#[utoipa::path(post, path = "/clients/{client_id}/enable", tag = "clients",
    responses((status = 200, body = ClientView)), security(("bearer" = [])))]
pub async fn enable(
    state: Data,
    admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<ClientView>, ApiError> {
    let mut client = find(&state, &path).await?;
    if client.metadata.disabled {
        let now = state.clock.now();
        let event = AuditEvent::new(now, admin.0.actor(), "client.enabled")
            .target("client", client.client_id.as_str());
        state
            .db
            .set_client_disabled(client.id, false, now, &event)
            .await?;
        client.metadata.disabled = false;
    }
    Ok(web::Json(client_view(&client)))
}

#[utoipa::path(post, path = "/clients/{client_id}/secret", tag = "clients", request_body = SecretRotation,
    responses((status = 200, body = RotatedSecret), (status = 400, body = valet_admin_api::Problem)), security(("bearer" = [])))]
pub async fn rotate_secret(
    state: Data,
    admin: Admin,
    path: web::Path<String>,
    input: web::Json<SecretRotation>,
) -> Result<web::Json<RotatedSecret>, ApiError> {
    let client = find(&state, &path).await?;
    match client.metadata.token_endpoint_auth_method {
        TokenEndpointAuthMethod::ClientSecretBasic | TokenEndpointAuthMethod::ClientSecretPost => {}
        other => {
            return Err(ApiError::BadRequest(format!(
                "a {other} client has no secret this endpoint can rotate"
            )));
        }
    }
    if !(0..=30 * 86_400).contains(&input.overlap_secs) {
        return Err(ApiError::field(
            "overlap_secs",
            "must be between 0 and 30 days",
        ));
    }
    let now = state.clock.now();
    let secret = Secret::generate(&OsRandom);
    let previous_until =
        (input.overlap_secs > 0).then(|| now + Duration::seconds(input.overlap_secs));
    let event = AuditEvent::new(now, admin.0.actor(), "client.secret_rotated")
        .target("client", client.client_id.as_str())
        .details(serde_json::json!({ "overlap_secs": input.overlap_secs }));
    state
        .db
        .set_client_secret(client.id, &secret.sha256(), previous_until, now, &event)
        .await?;
    Ok(web::Json(RotatedSecret {
        client_secret: secret.expose().to_owned(),
        previous_secret_expires_at: previous_until,
    }))
}

#[utoipa::path(delete, path = "/clients/{client_id}", tag = "clients",
    responses((status = 200, body = valet_admin_api::RevocationView, description = "what was revoked before the client was deleted")),
    security(("bearer" = [])))]
pub async fn delete(
    state: Data,
    admin: Admin,
    path: web::Path<String>,
) -> Result<web::Json<valet_admin_api::RevocationView>, ApiError> {
    let client = find(&state, &path).await?;
    // Relying parties are told first; the queued logout tokens outlive the client row.
    let cascade = Cascade::revoke_grants(Grants::OfClient(client.id), "client deleted");
    let report = revoke(&state, &admin, &cascade, false).await?;
    let event = AuditEvent::new(state.clock.now(), admin.0.actor(), "client.deleted")
        .target("client", client.client_id.as_str());
    state.db.delete_client(client.id, &event).await?;
    Ok(report)
}

#[utoipa::path(post, path = "/clients/{client_id}/grants/revoke", tag = "grants", params(RevocationQuery),
    responses((status = 200, body = valet_admin_api::RevocationView)), security(("bearer" = [])))]
pub async fn revoke_grants(
    state: Data,
    admin: Admin,
    path: web::Path<String>,
    query: web::Query<RevocationQuery>,
) -> Result<web::Json<valet_admin_api::RevocationView>, ApiError> {
    let client = find(&state, &path).await?;
    let cascade =
        Cascade::revoke_grants(Grants::OfClient(client.id), "revoked by an administrator");
    revoke(&state, &admin, &cascade, query.dry_run).await
}
