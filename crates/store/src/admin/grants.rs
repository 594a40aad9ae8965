//! Grants newest first, each with how many of its refresh tokens can still be used.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;
use valet_core::ports::{GrantFilter, GrantSummary, StoreError};

use crate::database::backend;
use crate::entities::{grants, refresh_tokens};
use crate::grants::grant_from;

/// Walks `grants` by id downwards (UUIDv7, so newest first): on the primary key, or on
/// `(user_id, id)` / `(client_id, id)` when filtered.
pub(super) async fn page(
    conn: &impl ConnectionTrait,
    filter: GrantFilter,
    before: Option<Uuid>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<GrantSummary>, StoreError> {
    let mut select = grants::Entity::find()
        .order_by_desc(grants::Column::Id)
        .limit(limit);
    if let Some(before) = before {
        select = select.filter(grants::Column::Id.lt(before));
    }
    if let Some(user_id) = filter.user_id {
        select = select.filter(grants::Column::UserId.eq(user_id));
    }
    if let Some(client) = filter.client {
        select = select.filter(grants::Column::ClientId.eq(client));
    }
    if filter.live_only {
        select = select.filter(grants::Column::RevokedAt.is_null());
    }
    let rows = select.all(conn).await.map_err(backend)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut live = live_refresh_tokens(conn, &ids, now).await?;
    rows.into_iter()
        .map(|row| {
            let live_refresh_tokens = live.remove(&row.id).unwrap_or(0);
            Ok(GrantSummary {
                grant: grant_from(row)?,
                live_refresh_tokens,
            })
        })
        .collect()
}

/// Usable refresh tokens per grant, for all of `grant_ids` in one grouped query: neither rotated nor
/// revoked, and within both the absolute and the idle lifetime.
async fn live_refresh_tokens(
    conn: &impl ConnectionTrait,
    grant_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, u64>, StoreError> {
    if grant_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let counts: Vec<(Uuid, i64)> = refresh_tokens::Entity::find()
        .select_only()
        .column(refresh_tokens::Column::GrantId)
        .column_as(Expr::col(refresh_tokens::Column::Id).count(), "live")
        .filter(refresh_tokens::Column::GrantId.is_in(grant_ids.iter().copied()))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .filter(refresh_tokens::Column::ExpiresAt.gt(now))
        .filter(
            Condition::any()
                .add(refresh_tokens::Column::IdleExpiresAt.is_null())
                .add(refresh_tokens::Column::IdleExpiresAt.gt(now)),
        )
        .group_by(refresh_tokens::Column::GrantId)
        .into_tuple()
        .all(conn)
        .await
        .map_err(backend)?;
    Ok(counts
        .into_iter()
        .map(|(grant, live)| (grant, u64::try_from(live).unwrap_or(0)))
        .collect())
}
