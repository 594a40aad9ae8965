//! The audit log newest first, narrowed by actor, action, target and time.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use valet_core::ports::{AuditFilter, AuditRecord, StoreError};

use crate::database::backend;
use crate::entities::audit_events;

/// Walks `audit_events` by id downwards (UUIDv7, so newest first), on the primary key or on
/// `(actor, id)`, `(action, id)`, `(target_type, target_id, id)` when filtered. The time range is
/// half-open: `from <= occurred_at < to`.
pub(super) async fn page(
    conn: &impl ConnectionTrait,
    filter: &AuditFilter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<AuditRecord>, StoreError> {
    use audit_events::Column;
    let mut select = audit_events::Entity::find()
        .order_by_desc(Column::Id)
        .limit(limit);
    if let Some(before) = before {
        select = select.filter(Column::Id.lt(before));
    }
    if let Some(actor) = &filter.actor {
        select = select.filter(Column::Actor.eq(actor.as_str()));
    }
    if let Some(action) = &filter.action {
        select = select.filter(Column::Action.eq(action.as_str()));
    }
    if let Some(target_type) = &filter.target_type {
        select = select.filter(Column::TargetType.eq(target_type.as_str()));
    }
    if let Some(target_id) = &filter.target_id {
        select = select.filter(Column::TargetId.eq(target_id.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(Column::OccurredAt.lt(to));
    }
    Ok(select
        .all(conn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(record_from)
        .collect())
}

fn record_from(row: audit_events::Model) -> AuditRecord {
    AuditRecord {
        id: row.id,
        occurred_at: row.occurred_at,
        actor: row.actor,
        action: row.action,
        target_type: row.target_type,
        target_id: row.target_id,
        ip: row.ip,
        details: row.details,
    }
}
