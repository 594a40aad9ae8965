//! `AssertionReplayStore` on the `used_assertions` table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr, TryInsertResult};
use valet_core::client::ClientId;
use valet_core::ports::{AssertionReplayStore, StoreError, assertion_key};

use crate::database::{Database, backend};
use crate::entities::used_assertions;

#[async_trait]
impl AssertionReplayStore for Database {
    async fn record_assertion(
        &self,
        client_id: &ClientId,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        // Rows of expired assertions go as new ones arrive; the `expires_at` index makes this a
        // range delete of the few rows that expired since the previous call. It runs first so a
        // failure leaves nothing recorded and the client may simply retry.
        used_assertions::Entity::delete_many()
            .filter(used_assertions::Column::ExpiresAt.lt(now))
            .exec(&self.conn)
            .await
            .map_err(backend)?;
        let row = used_assertions::ActiveModel {
            jti_hash: Set(assertion_key(client_id, jti)),
            expires_at: Set(expires_at),
            created_at: Set(now),
        };
        // ON CONFLICT DO NOTHING: a replay is an ordinary answer, not a database error (which
        // PostgreSQL would also log).
        let inserted = used_assertions::Entity::insert(row)
            .on_conflict_do_nothing()
            .exec_without_returning(&self.conn)
            .await;
        match inserted {
            Ok(TryInsertResult::Inserted(rows)) => Ok(rows > 0),
            Ok(TryInsertResult::Conflicted | TryInsertResult::Empty) => Ok(false),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Ok(false)
            }
            Err(e) => Err(backend(e)),
        }
    }
}
