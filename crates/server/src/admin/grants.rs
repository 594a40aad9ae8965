//! `/grants`: per user and per client, with scopes, dates and live refresh tokens; revoking one
//! (the cascade, with a dry run); ending one session.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::web;
use serde::Deserialize;
use uuid::Uuid;
use valet_admin_api::{GrantView, Page, RevocationView};
use valet_core::client::Client;
use valet_core::ports::{AdminStore, GrantFilter, GrantStore, SessionStore};
use valet_core::revocation::{Cascade, Grants};

use super::auth::Admin;
use super::problem::ApiError;
use super::views::grant_view;
use super::{ListQuery, RevocationQuery, page, revoke};
use crate::state::AppState;

type Data = web::Data<AppState>;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantQuery {
    /// Only this user's grants.
    pub user_id: Option<Uuid>,
    /// Only grants to this client (its `client_id`).
    pub client_id: Option<String>,
    /// Only grants that are not revoked.
    #[serde(default)]
    pub live: bool,
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/grants", tag = "grants", params(GrantQuery),
    responses((status = 200, body = Page<GrantView>)), security(("bearer" = [])))]
pub async fn list(
    state: Data,
    _: Admin,
    query: web::Query<GrantQuery>,
) -> Result<web::Json<Page<GrantView>>, ApiError> {
    let list = ListQuery::paging(query.cursor.clone(), query.limit);
    let limit = list.limit();
    let client = match &query.client_id {
        Some(id) => Some(super::clients::find(&state, id).await?.id),
        None => None,
    };
    let filter = GrantFilter {
        user_id: query.user_id,
        client,
        live_only: query.live,
    };
    let rows = state
        .db
        .page_grants(filter, list.before_id()?, limit + 1, state.clock.now())
        .await?;
    // One query for the page's clients, not one per row.
    let ids: BTreeSet<Uuid> = rows.iter().map(|row| row.grant.client).collect();
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let clients: BTreeMap<Uuid, Client> = state
        .db
        .clients_by_ids(&ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(web::Json(page(
        rows,
        limit,
        |row| row.grant.id.to_string(),
        |row| grant_view(row, clients.get(&row.grant.client)),
    )))
}

#[utoipa::path(post, path = "/grants/{id}/revoke", tag = "grants", params(RevocationQuery),
    responses((status = 200, body = RevocationView), (status = 404, body = valet_admin_api::Problem)), security(("bearer" = [])))]
pub async fn revoke_one(
    state: Data,
    admin: Admin,
    path: web::Path<Uuid>,
    query: web::Query<RevocationQuery>,
) -> Result<web::Json<RevocationView>, ApiError> {
    let grant = state
        .db
        .find_grant(*path)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no grant {}", *path)))?;
    let plan = Cascade::revoke_grants(Grants::One(grant.id), "revoked by an administrator");
    revoke(&state, &admin, &plan, query.dry_run).await
}

#[utoipa::path(post, path = "/sessions/{id}/end", tag = "sessions", params(RevocationQuery),
    responses((status = 200, body = RevocationView), (status = 404, body = valet_admin_api::Problem)), security(("bearer" = [])))]
pub async fn end_session(
    state: Data,
    admin: Admin,
    path: web::Path<Uuid>,
    query: web::Query<RevocationQuery>,
) -> Result<web::Json<RevocationView>, ApiError> {
    let session = state
        .db
        .find_session_by_id(*path)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no session {}", *path)))?;
    revoke(
        &state,
        &admin,
        &Cascade::end_session(session.id, "ended by an administrator"),
        query.dry_run,
    )
    .await
}
