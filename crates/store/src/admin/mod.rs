//! `AdminStore`: the admin API's keyset-paginated listings and searches, whole-object updates and
//! deletions with their audit events, and the overview's counts.
//!
//! Pages never use OFFSET: each continues strictly after the last key of the previous page (username,
//! client_id, or a UUIDv7 id walked downwards), so page 10,000 costs what page 1 costs. The indexes
//! these walks rely on are created by `m20261130_000001_index_admin_listings`, and the user search's
//! trigram indexes (PostgreSQL) by `m20261130_000002_index_users_search`.

mod audit;
mod clients;
mod counts;
mod grants;
mod search;
mod users;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, PrimaryKeyTrait};
use uuid::Uuid;
use valet_core::audit::AuditEvent;
use valet_core::client::Client;
use valet_core::ports::{
    AdminStore, AuditFilter, AuditRecord, Counts, GrantFilter, GrantSummary, StoreError,
};
use valet_core::session::Session;
use valet_core::user::User;

use crate::audit as audit_log;
use crate::database::{Database, backend, deadlock_victim};
use crate::entities;

#[async_trait]
impl AdminStore for Database {
    async fn page_users(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<User>, StoreError> {
        users::page(&self.conn, query, after, limit).await
    }

    async fn page_clients(
        &self,
        query: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Client>, StoreError> {
        clients::page(&self.conn, query, after, limit).await
    }

    async fn page_grants(
        &self,
        filter: GrantFilter,
        before: Option<Uuid>,
        limit: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<GrantSummary>, StoreError> {
        grants::page(&self.conn, filter, before, limit, now).await
    }

    async fn page_audit(
        &self,
        filter: &AuditFilter,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        audit::page(&self.conn, filter, before, limit).await
    }

    async fn user_sessions(
        &self,
        user_id: Uuid,
        active_only: bool,
        before: Option<Uuid>,
        limit: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, StoreError> {
        users::sessions(&self.conn, user_id, active_only, before, limit, now).await
    }

    async fn update_user(&self, user: &User, event: &AuditEvent) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        users::update(&txn, user).await?;
        audit_log::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }

    /// Sessions, grants, codes, tokens and roles go with the row (ON DELETE CASCADE).
    async fn delete_user(&self, id: Uuid, event: &AuditEvent) -> Result<(), StoreError> {
        self.delete_row::<entities::users::Entity>(id, "user", event)
            .await
    }

    async fn update_client(&self, client: &Client, event: &AuditEvent) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        clients::update(&txn, client).await?;
        audit_log::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }

    /// Grants, codes, tokens and interactions go with the row (ON DELETE CASCADE); queued outbox
    /// messages stay, detached (SET NULL).
    async fn delete_client(&self, id: Uuid, event: &AuditEvent) -> Result<(), StoreError> {
        self.delete_row::<entities::clients::Entity>(id, "client", event)
            .await
    }

    async fn counts(&self, now: DateTime<Utc>) -> Result<Counts, StoreError> {
        counts::counts(&self.conn, now).await
    }

    async fn clients_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Client>, StoreError> {
        clients::by_ids(&self.conn, ids).await
    }

    async fn has_other_enabled_with_role(
        &self,
        role: &str,
        except: Uuid,
    ) -> Result<bool, StoreError> {
        users::has_other_enabled_with_role(&self.conn, role, except).await
    }
}

/// How many times a deletion runs while PostgreSQL keeps ending it to break deadlocks.
const DELETE_ATTEMPTS: u32 = 3;

impl Database {
    /// Deletes the row `id` of `E` (a `what`) and records `event`, in one transaction.
    ///
    /// Deleting a user or a client cascades into rows (an interaction, a grant, a code) that a
    /// sign-in's batch or a code's redemption may be holding while it goes on to reference that
    /// user or client: its foreign key checks lock the referenced row last, so each waits for the
    /// other and PostgreSQL ends one of them. It ends the one that waited first, nearly always the
    /// deletion, whose cascade met the held row; the deletion then runs again, from a new
    /// transaction, and finds the other committed. Nothing of an ended attempt stays.
    async fn delete_row<E>(
        &self,
        id: Uuid,
        what: &str,
        event: &AuditEvent,
    ) -> Result<(), StoreError>
    where
        E: EntityTrait,
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    {
        let mut attempt = 1;
        loop {
            let txn = self.write_transaction().await?;
            match E::delete_by_id(id).exec(&txn).await {
                Ok(deleted) if deleted.rows_affected == 1 => {}
                Ok(_) => return Err(StoreError::NotFound(format!("{what} {id}"))),
                Err(e) if attempt < DELETE_ATTEMPTS && deadlock_victim(&e) => {
                    let _ = txn.rollback().await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(backend(e)),
            }
            audit_log::insert(&txn, event).await?;
            return txn.commit().await.map_err(backend);
        }
    }
}
