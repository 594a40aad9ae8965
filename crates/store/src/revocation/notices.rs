//! Who a cascade tells: every relying party that held an affected grant or session and registered a
//! `backchannel_logout_uri` gets a logout token, queued in the outbox in the cascade's own
//! transaction (a dry run only counts them).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;
use valet_core::outbox::OutboxStatus;
use valet_core::ports::StoreError;
use valet_core::revocation::{
    BACKCHANNEL_LOGOUT_KIND, Binding, CascadeReport, logout_notifications,
};

use super::CHUNK;
use crate::database::{InsertRow, backend};
use crate::entities::{clients, outbox};

/// Queues a logout token for each affected (client, user, session) in `bound` whose client asked
/// for them, and records them in `report` (only counted in a dry run).
pub(super) async fn queue_logout_tokens(
    txn: &DatabaseTransaction,
    bound: &[(Uuid, Uuid, Option<Uuid>)],
    at: DateTime<Utc>,
    report: &mut CascadeReport,
) -> Result<(), StoreError> {
    let bindings = bindings(txn, bound).await?;
    let notifications = logout_notifications(&bindings);
    report.notification_count = notifications.len() as u64;
    if report.dry_run {
        return Ok(());
    }
    for n in &notifications {
        let payload =
            serde_json::to_string(&n.payload).map_err(|e| StoreError::Backend(e.to_string()))?;
        outbox::Model {
            id: n.id,
            kind: BACKCHANNEL_LOGOUT_KIND.to_owned(),
            client_id: Some(n.client),
            target: n.target.clone(),
            payload,
            status: OutboxStatus::Pending.as_str().to_owned(),
            attempts: 0,
            next_attempt_at: at,
            last_error: None,
            created_at: at,
            delivered_at: None,
        }
        .into_active_model()
        .insert_row(txn)
        .await?;
    }
    report.notifications = notifications.iter().map(|n| n.id).collect();
    Ok(())
}

/// The affected (client, user, session) triples with what the logout rule needs of each client.
async fn bindings(
    conn: &impl ConnectionTrait,
    bound: &[(Uuid, Uuid, Option<Uuid>)],
) -> Result<Vec<Binding>, StoreError> {
    let client_ids: BTreeSet<Uuid> = bound.iter().map(|(c, _, _)| *c).collect();
    let mut found = BTreeMap::new();
    let client_ids: Vec<Uuid> = client_ids.into_iter().collect();
    for chunk in client_ids.chunks(CHUNK) {
        let rows = clients::Entity::find()
            .filter(clients::Column::Id.is_in(chunk.to_vec()))
            .all(conn)
            .await
            .map_err(backend)?;
        for row in rows {
            let client = crate::clients::to_domain(row)?;
            found.insert(client.id, client);
        }
    }
    Ok(bound
        .iter()
        .filter_map(|&(client, user_id, session_id)| {
            let c = found.get(&client)?;
            Some(Binding {
                client,
                client_id: c.client_id.as_str().to_owned(),
                backchannel_logout_uri: c.metadata.backchannel_logout_uri.clone(),
                session_required: c.metadata.backchannel_logout_session_required,
                id_token_alg: c.metadata.id_token_signed_response_alg,
                user_id,
                session_id,
            })
        })
        .collect())
}
