//! Audit events as rows; written inside the transaction of the change they describe.

use sea_orm::{ConnectionTrait, IntoActiveModel};
use valet_core::audit::AuditEvent;
use valet_core::ports::StoreError;

use crate::database::InsertRow;
use crate::entities::audit_events;

pub(crate) async fn insert(
    conn: &impl ConnectionTrait,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    audit_events::Model {
        id: event.id,
        occurred_at: event.occurred_at,
        actor: event.actor.as_str().to_owned(),
        action: event.action.to_owned(),
        target_type: event.target_type.map(str::to_owned),
        target_id: event.target_id.clone(),
        ip: event.ip.clone(),
        details: event.details.clone(),
    }
    .into_active_model()
    .insert_row(conn)
    .await
}
