//! The overview's figures: one COUNT per figure, each served by an index or the primary key.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use valet_core::outbox::OutboxStatus;
use valet_core::ports::{Counts, StoreError};

use crate::database::backend;
use crate::entities::{clients, grants, outbox, sessions, users};

pub(super) async fn counts(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Counts, StoreError> {
    let users = users::Entity::find().count(conn).await.map_err(backend)?;
    let clients = clients::Entity::find().count(conn).await.map_err(backend)?;
    let live_grants = grants::Entity::find()
        .filter(grants::Column::RevokedAt.is_null())
        .count(conn)
        .await
        .map_err(backend)?;
    let active_sessions = sessions::Entity::find()
        .filter(sessions::Column::EndedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .count(conn)
        .await
        .map_err(backend)?;
    let (failed, pending) = (
        OutboxStatus::Failed.as_str(),
        OutboxStatus::Pending.as_str(),
    );
    let by_status: Vec<(String, i64)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Status)
        .column_as(Expr::col(outbox::Column::Id).count(), "n")
        .filter(outbox::Column::Status.is_in([failed, pending]))
        .group_by(outbox::Column::Status)
        .into_tuple()
        .all(conn)
        .await
        .map_err(backend)?;
    let of = |status: &str| {
        by_status
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0))
    };
    Ok(Counts {
        users,
        clients,
        live_grants,
        active_sessions,
        failed_notifications: of(failed),
        pending_notifications: of(pending),
    })
}
