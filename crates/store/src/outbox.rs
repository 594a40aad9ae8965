//! `OutboxStore` on `outbox`: claims are conditional UPDATEs, so replicas never send a message twice
//! at once, and an abandoned claim (a crash mid-delivery) expires with its lease.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;
use valet_core::outbox::{DeliveryOutcome, OutboxMessage, OutboxStatus};
use valet_core::ports::{OutboxStore, StoreError};

use crate::convert::parse_enum;
use crate::database::{Database, backend};
use crate::entities::outbox;

fn message_from(row: outbox::Model) -> Result<OutboxMessage, StoreError> {
    Ok(OutboxMessage {
        id: row.id,
        kind: row.kind,
        client: row.client_id,
        target: row.target,
        payload: row.payload,
        status: parse_enum("outbox.status", &row.status)?,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        next_attempt_at: row.next_attempt_at,
        last_error: row.last_error,
        created_at: row.created_at,
        delivered_at: row.delivered_at,
    })
}

impl Database {
    /// Claims one message if it is still pending and due; `None` when another replica has it.
    async fn claim_one(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<OutboxMessage>, StoreError> {
        let claimed = outbox::Entity::update_many()
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(now + lease))
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::Status.eq(OutboxStatus::Pending.as_str()))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .exec(&self.conn)
            .await
            .map_err(backend)?
            .rows_affected
            == 1;
        if !claimed {
            return Ok(None);
        }
        outbox::Entity::find_by_id(id)
            .all(&self.conn)
            .await
            .map_err(backend)?
            .into_iter()
            .next()
            .map(message_from)
            .transpose()
    }
}

#[async_trait]
impl OutboxStore for Database {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let due: Vec<Uuid> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::Status.eq(OutboxStatus::Pending.as_str()))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .order_by_asc(outbox::Column::NextAttemptAt)
            .limit(limit)
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(backend)?;
        self.claim(&due, now, lease).await
    }

    async fn claim(
        &self,
        ids: &[Uuid],
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut claimed = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(message) = self.claim_one(id, now, lease).await? {
                claimed.push(message);
            }
        }
        Ok(claimed)
    }

    async fn record_delivery(
        &self,
        id: Uuid,
        attempt: u32,
        outcome: &DeliveryOutcome,
    ) -> Result<(), StoreError> {
        let update = outbox::Entity::update_many()
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::Status.eq(OutboxStatus::Pending.as_str()))
            .filter(outbox::Column::Attempts.eq(i32::try_from(attempt).unwrap_or(i32::MAX)));
        let update = match outcome {
            DeliveryOutcome::Delivered { at } => update
                .col_expr(
                    outbox::Column::Status,
                    Expr::value(OutboxStatus::Delivered.as_str()),
                )
                .col_expr(outbox::Column::DeliveredAt, Expr::value(*at))
                .col_expr(
                    outbox::Column::LastError,
                    Expr::value(Option::<String>::None),
                ),
            DeliveryOutcome::Retry {
                error,
                next_attempt_at,
            } => update
                .col_expr(outbox::Column::NextAttemptAt, Expr::value(*next_attempt_at))
                .col_expr(outbox::Column::LastError, Expr::value(error.as_str())),
            DeliveryOutcome::Failed { error } => update
                .col_expr(
                    outbox::Column::Status,
                    Expr::value(OutboxStatus::Failed.as_str()),
                )
                .col_expr(outbox::Column::LastError, Expr::value(error.as_str())),
        };
        update.exec(&self.conn).await.map(drop).map_err(backend)
    }

    async fn list_outbox(
        &self,
        status: Option<OutboxStatus>,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut query = outbox::Entity::find().order_by_desc(outbox::Column::Id);
        if let Some(status) = status {
            query = query.filter(outbox::Column::Status.eq(status.as_str()));
        }
        if let Some(before) = before {
            query = query.filter(outbox::Column::Id.lt(before));
        }
        query
            .limit(limit)
            .all(&self.conn)
            .await
            .map_err(backend)?
            .into_iter()
            .map(message_from)
            .collect()
    }
}
