//! `HousekeepingStore`: deleting what has expired, one statement per table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use valet_core::outbox::OutboxStatus;
use valet_core::ports::{HousekeepingStore, OUTBOX_RETENTION, Purged, StoreError};
use valet_core::throttle::ThrottlePolicy;

use crate::database::{Database, backend};
use crate::entities::{
    authorization_codes, interactions, login_throttles, outbox, revoked_access_tokens,
    used_assertions,
};

#[async_trait]
impl HousekeepingStore for Database {
    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        codes_before: DateTime<Utc>,
    ) -> Result<Purged, StoreError> {
        let interactions = interactions::Entity::delete_many()
            .filter(interactions::Column::ExpiresAt.lt(now))
            .exec(&self.conn)
            .await
            .map_err(backend)?
            .rows_affected;
        let codes = authorization_codes::Entity::delete_many()
            .filter(authorization_codes::Column::ExpiresAt.lt(codes_before))
            .exec(&self.conn)
            .await
            .map_err(backend)?
            .rows_affected;
        let assertions = used_assertions::Entity::delete_many()
            .filter(used_assertions::Column::ExpiresAt.lt(now))
            .exec(&self.conn)
            .await
            .map_err(backend)?
            .rows_affected;
        let revoked_access_tokens = revoked_access_tokens::Entity::delete_many()
            .filter(revoked_access_tokens::Column::ExpiresAt.lt(now))
            .exec(&self.conn)
            .await
            .map_err(backend)?
            .rows_affected;
        let deliveries = outbox::Entity::delete_many()
            .filter(outbox::Column::Status.ne(OutboxStatus::Pending.as_str()))
            .filter(outbox::Column::CreatedAt.lt(now - OUTBOX_RETENTION))
            .exec(&self.conn)
            .await
            .map_err(backend)?
            .rows_affected;
        let window = ThrottlePolicy::ACCOUNT
            .window
            .max(ThrottlePolicy::IP.window);
        let throttles = login_throttles::Entity::delete_many()
            .filter(login_throttles::Column::LastFailureAt.lt(now - window))
            .exec(&self.conn)
            .await
            .map_err(backend)?
            .rows_affected;
        Ok(Purged {
            interactions,
            codes,
            assertions,
            revoked_access_tokens,
            deliveries,
            throttles,
        })
    }
}
