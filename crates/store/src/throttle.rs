//! `ThrottleStore` on `login_throttles`: each failure is a read-modify-write in one write
//! transaction (IMMEDIATE on SQLite; on PostgreSQL the row is made to exist, then locked), so
//! concurrent failures all count.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use valet_core::ports::{StoreError, ThrottleStore};
use valet_core::throttle::{ThrottlePolicy, ThrottleState};

use crate::database::{Database, backend};
use crate::entities::login_throttles;

fn state_from(row: login_throttles::Model) -> ThrottleState {
    ThrottleState {
        failures: u32::try_from(row.failures).unwrap_or(0),
        last_failure_at: row.last_failure_at,
        blocked_until: row.blocked_until,
    }
}

#[async_trait]
impl ThrottleStore for Database {
    async fn throttle_states(
        &self,
        keys: &[&str],
    ) -> Result<BTreeMap<String, ThrottleState>, StoreError> {
        Ok(login_throttles::Entity::find()
            .filter(login_throttles::Column::Key.is_in(keys.iter().copied()))
            .all(&self.lookups)
            .await
            .map_err(backend)?
            .into_iter()
            .map(|row| (row.key.clone(), state_from(row)))
            .collect())
    }

    async fn record_failure(
        &self,
        key: &str,
        at: DateTime<Utc>,
        policy: &ThrottlePolicy,
    ) -> Result<ThrottleState, StoreError> {
        let txn = self.write_transaction().await?;
        // The row exists before it is locked: two first failures racing for a missing row would
        // otherwise both start from nothing and one would be lost.
        let placeholder = login_throttles::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(0),
            last_failure_at: Set(at),
            blocked_until: Set(None),
        };
        login_throttles::Entity::insert(placeholder)
            .on_conflict(
                OnConflict::column(login_throttles::Column::Key)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .map_err(backend)?;
        let previous = login_throttles::Entity::find_by_id(key.to_owned())
            .lock_exclusive()
            .all(&txn)
            .await
            .map_err(backend)?
            .into_iter()
            .next()
            .map(state_from)
            .filter(|state| state.failures > 0);
        let next = ThrottleState::after_failure(previous, at, policy);
        login_throttles::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(i32::try_from(next.failures).unwrap_or(i32::MAX)),
            last_failure_at: Set(next.last_failure_at),
            blocked_until: Set(next.blocked_until),
        }
        .update(&txn)
        .await
        .map_err(backend)?;
        txn.commit().await.map_err(backend)?;
        Ok(next)
    }

    async fn clear_throttle(&self, key: &str) -> Result<(), StoreError> {
        login_throttles::Entity::delete_by_id(key.to_owned())
            .exec(&self.conn)
            .await
            .map(drop)
            .map_err(backend)
    }
}
