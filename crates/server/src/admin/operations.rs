//! The operational views: the overview's counts, back-channel deliveries, signing keys (with a
//! rotation), and the audit log with filters.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;
use valet_admin_api::{AuditEventView, KeyView, NotificationView, Overview, Page};
use valet_core::keys::{KeyContext, rotate};
use valet_core::outbox::OutboxStatus;
use valet_core::ports::{AdminStore, AuditFilter, KeyStore, OutboxStore};
use valet_core::random::OsRandom;

use super::auth::Admin;
use super::problem::ApiError;
use super::views::{audit_view, key_view, notification_view};
use super::{ListQuery, page};
use crate::state::AppState;

type Data = web::Data<AppState>;

#[utoipa::path(get, path = "/overview", tag = "operations",
    responses((status = 200, body = Overview)), security(("bearer" = [])))]
pub async fn overview(state: Data, _: Admin) -> Result<web::Json<Overview>, ApiError> {
    let c = state.db.counts(state.clock.now()).await?;
    Ok(web::Json(Overview {
        users: c.users,
        clients: c.clients,
        live_grants: c.live_grants,
        active_sessions: c.active_sessions,
        pending_notifications: c.pending_notifications,
        failed_notifications: c.failed_notifications,
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `pending`, `delivered` or `failed`.
    pub status: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/notifications", tag = "operations", params(NotificationQuery),
    responses((status = 200, body = Page<NotificationView>)), security(("bearer" = [])))]
pub async fn notifications(
    state: Data,
    _: Admin,
    query: web::Query<NotificationQuery>,
) -> Result<web::Json<Page<NotificationView>>, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(str::parse::<OutboxStatus>)
        .transpose()
        .map_err(|e| ApiError::field("status", e))?;
    let list = ListQuery::paging(query.cursor.clone(), query.limit);
    let limit = list.limit();
    let rows = state
        .db
        .list_outbox(status, list.before_id()?, limit + 1)
        .await?;
    Ok(web::Json(page(
        rows,
        limit,
        |m| m.id.to_string(),
        notification_view,
    )))
}

#[utoipa::path(get, path = "/keys", tag = "keys",
    responses((status = 200, body = Vec<KeyView>)), security(("bearer" = [])))]
pub async fn keys(state: Data, _: Admin) -> Result<web::Json<Vec<KeyView>>, ApiError> {
    keys_now(&state).await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RotateQuery {
    /// Sign with the new keys at once (a compromised key) instead of after the publication lead.
    #[serde(default)]
    pub immediately: bool,
}

#[utoipa::path(post, path = "/keys/rotate", tag = "keys", params(RotateQuery),
    responses((status = 200, body = Vec<KeyView>, description = "every key after the rotation")), security(("bearer" = [])))]
pub async fn rotate_keys(
    state: Data,
    admin: Admin,
    query: web::Query<RotateQuery>,
) -> Result<web::Json<Vec<KeyView>>, ApiError> {
    let keys = &state.config.keys;
    let ctx = KeyContext {
        master: state.master_key(),
        random: &OsRandom,
        policy: &keys.policy,
        algs: &keys.algorithms,
    };
    rotate(
        &state.db,
        &ctx,
        state.clock.now(),
        query.immediately,
        admin.0.actor(),
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "key rotation failed");
        ApiError::Unavailable
    })?;
    if let Err(e) = state.refresh_keys().await {
        tracing::warn!(error = %e, "this replica will pick up the rotated keys at its next check");
    }
    keys_now(&state).await
}

async fn keys_now(state: &AppState) -> Result<web::Json<Vec<KeyView>>, ApiError> {
    let now = state.clock.now();
    let mut keys = state.db.list_keys().await?;
    keys.sort_by_key(|k| (k.alg, k.times.activates_at));
    Ok(web::Json(keys.iter().map(|k| key_view(k, now)).collect()))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// RFC 3339; events at or after.
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339; events before.
    pub to: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEventView>)), security(("bearer" = [])))]
pub async fn audit(
    state: Data,
    _: Admin,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEventView>>, ApiError> {
    let query = query.into_inner();
    let list = ListQuery::paging(query.cursor, query.limit);
    let limit = list.limit();
    let filter = AuditFilter {
        actor: query.actor,
        action: query.action,
        target_type: query.target_type,
        target_id: query.target_id,
        from: query.from,
        to: query.to,
    };
    let before: Option<Uuid> = list.before_id()?;
    let rows = state.db.page_audit(&filter, before, limit + 1).await?;
    Ok(web::Json(page(
        rows,
        limit,
        |e| e.id.to_string(),
        audit_view,
    )))
}
