//! `ProvisionStore`: a provisioning run's changes and audit events in one transaction.

use async_trait::async_trait;
use valet_core::audit::AuditEvent;
use valet_core::ports::{ProvisionStore, StoreError};
use valet_core::provision::ProvisionChanges;

use crate::database::{Database, backend};
use crate::{audit, clients, revocation, users};

#[async_trait]
impl ProvisionStore for Database {
    async fn apply_provision(
        &self,
        changes: &ProvisionChanges,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        // Dropping the transaction on any early return rolls everything back.
        let txn = self.write_transaction().await?;
        // Every user row before any grant, as a sign-in's batch locks them (`batch`): a user's
        // cascade changes their row before it revokes or ends anything of theirs, the other user
        // rows follow, and a client's cascade, revoking the grants of many users, comes after.
        let mut cascaded = Vec::new();
        for (cascade, event) in &changes.user_cascades {
            cascaded.extend(revocation::run(&txn, cascade, event.occurred_at, event, false).await?);
        }
        for user in &changes.created_users {
            users::insert(&txn, user).await?;
        }
        for user in &changes.updated_users {
            users::replace(&txn, user).await?;
        }
        for (cascade, event) in &changes.client_cascades {
            cascaded.extend(revocation::run(&txn, cascade, event.occurred_at, event, false).await?);
        }
        for client in &changes.created_clients {
            clients::insert(&txn, client).await?;
        }
        for client in &changes.updated_clients {
            clients::replace(&txn, client).await?;
        }
        for event in events.iter().chain(cascaded.iter().map(|(_, event)| event)) {
            audit::insert(&txn, event).await?;
        }
        txn.commit().await.map_err(backend)
    }
}
