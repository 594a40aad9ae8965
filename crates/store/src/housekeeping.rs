//! `HousekeepingStore`: deleting what has expired, one statement per table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use valet_core::account::LinkPurpose;
use valet_core::outbox::OutboxStatus;
use valet_core::ports::{HousekeepingStore, OUTBOX_RETENTION, Purged, StoreError};
use valet_core::throttle::ThrottlePolicy;

use crate::database::{Database, backend};
use crate::entities::{
    account_tokens, authorization_codes, interactions, login_throttles, outbox,
    revoked_access_tokens, used_assertions, users,
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
        // An activation link expired unused: the account never worked; free its name and address.
        let abandoned: Vec<uuid::Uuid> = account_tokens::Entity::find()
            .select_only()
            .column(account_tokens::Column::UserId)
            .filter(account_tokens::Column::Purpose.eq(LinkPurpose::Activate.as_str()))
            .filter(account_tokens::Column::UsedAt.is_null())
            .filter(account_tokens::Column::ExpiresAt.lt(now))
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(backend)?;
        let abandoned_signups = if abandoned.is_empty() {
            0
        } else {
            users::Entity::delete_many()
                .filter(users::Column::Id.is_in(abandoned))
                .filter(users::Column::Disabled.eq(true))
                .exec(&self.conn)
                .await
                .map_err(backend)?
                .rows_affected
        };
        let account_links = account_tokens::Entity::delete_many()
            .filter(account_tokens::Column::ExpiresAt.lt(now))
            .exec(&self.conn)
            .await
            .map_err(backend)?
            .rows_affected;
        Ok(Purged {
            abandoned_signups,
            account_links,
            interactions,
            codes,
            assertions,
            revoked_access_tokens,
            deliveries,
            throttles,
        })
    }
}
