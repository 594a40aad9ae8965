//! Clients: the searchable listing by client_id, metadata rewrites and deletions.

use sea_orm::ActiveValue::NotSet;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;
use valet_core::client::Client;
use valet_core::ports::StoreError;

use super::search::{contains, needle, starts_with};
use crate::database::backend;
use crate::entities::clients;

pub(super) async fn page(
    conn: &impl ConnectionTrait,
    query: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<Client>, StoreError> {
    let mut select = clients::Entity::find()
        .order_by_asc(clients::Column::ClientId)
        .limit(limit);
    if let Some(after) = after {
        select = select.filter(clients::Column::ClientId.gt(after));
    }
    if let Some(needle) = needle(query) {
        select = select.filter(
            Condition::any()
                .add(starts_with(clients::Column::ClientId, &needle))
                .add(contains(clients::Column::Name, &needle)),
        );
    }
    select
        .all(conn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(crate::clients::to_domain)
        .collect()
}

/// Rewrites the registration metadata and `updated_at`. The client_id, creation time and the
/// current and previous secret and `disabled` keep what the row holds: secrets change only through
/// `ClientStore::set_client_secret`. The sealed copy is dropped when the client no longer has one.
pub(super) async fn update(conn: &impl ConnectionTrait, client: &Client) -> Result<(), StoreError> {
    let mut row = crate::clients::to_row(client)
        .into_active_model()
        .reset_all();
    row.id = NotSet;
    row.client_id = NotSet;
    row.created_at = NotSet;
    row.disabled = NotSet;
    row.secret_hash = NotSet;
    row.previous_secret_hash = NotSet;
    row.previous_secret_expires_at = NotSet;
    // A sealed secret exists only for client_secret_jwt: leaving that method clears it.
    if client.sealed_secret.is_some() {
        row.secret_sealed = NotSet;
        row.secret_sealed_nonce = NotSet;
    }
    let result = clients::Entity::update_many()
        .set(row)
        .filter(clients::Column::Id.eq(client.id))
        .exec(conn)
        .await
        .map_err(backend)?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("client {}", client.id)))
    }
}

pub(super) async fn by_ids(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<Client>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    clients::Entity::find()
        .filter(clients::Column::Id.is_in(ids.to_vec()))
        .all(conn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(crate::clients::to_domain)
        .collect()
}
