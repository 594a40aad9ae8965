//! Storage ports: what the rules need from persistence. `valet-store` implements them on SQLite and
//! PostgreSQL; every mutation takes its audit event and writes both in one transaction.

mod account;
mod admin;
mod assertions;
mod batch;
mod grants;
mod housekeeping;
mod revocation;
mod second_factor;
mod sessions;
mod throttle;
mod tokens;

pub use account::AccountStore;
pub use admin::{AdminStore, AuditFilter, AuditRecord, Counts, GrantFilter, GrantSummary};
pub use assertions::{AssertionReplayStore, assertion_key};
pub use batch::{BatchStore, Write};
pub use grants::{CodeStore, GrantStore, Issued};
pub use housekeeping::{HousekeepingStore, OUTBOX_RETENTION, Purged};
pub use revocation::{AuditStore, OutboxStore, RevocationStore};
pub use second_factor::SecondFactorStore;
pub use sessions::{InteractionStore, SessionStore};
pub use throttle::ThrottleStore;
pub use tokens::TokenStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::client::{Client, ClientId};
use crate::keys::{KeyTimes, StoredKey};
use crate::password::PasswordHash;
use crate::provision::ProvisionChanges;
use crate::secret::SecretHash;
use crate::user::{User, Username};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    /// What a write was conditional on no longer holds: a concurrent change came first.
    #[error("{0} changed meanwhile")]
    Stale(String),
    #[error("database error: {0}")]
    Backend(String),
    /// The database cannot hold a value it was given (PostgreSQL's text holds no NUL character):
    /// the input is at fault, and answered as a bad request.
    #[error("a value the database cannot hold: {0}")]
    Invalid(String),
    /// The database cannot be reached or cannot take the work now (a connection refused, lost or
    /// not to be had from the pool, the server shutting down, a deadlock victim): worth retrying,
    /// and answered as temporarily unavailable.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn list_keys(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// Inserts new keys and moves existing keys' instants, atomically.
    async fn save_keys(
        &self,
        new: &[StoredKey],
        updates: &[(String, KeyTimes)],
        event: &AuditEvent,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn find_user(&self, username: &Username) -> Result<Option<User>, StoreError>;
    async fn find_user_by_id(&self, id: Uuid) -> Result<Option<User>, StoreError>;
    /// The user whose email address is `email` (case-insensitive), when exactly one has it.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Whether the account `user_id` is enabled and still has the password hash `hash`, read once
    /// any change to it under way has committed (PostgreSQL waits on the row's lock).
    async fn credentials_hold(
        &self,
        user_id: Uuid,
        hash: Option<&PasswordHash>,
    ) -> Result<bool, StoreError>;
    async fn insert_user(&self, user: &User, event: &AuditEvent) -> Result<(), StoreError>;
    async fn set_disabled(
        &self,
        user_id: Uuid,
        disabled: bool,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn has_user_with_role(&self, role: &str) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn find_client(&self, client_id: &ClientId) -> Result<Option<Client>, StoreError>;
    async fn find_client_by_id(&self, id: Uuid) -> Result<Option<Client>, StoreError>;
    async fn list_clients(&self) -> Result<Vec<Client>, StoreError>;
    async fn insert_client(&self, client: &Client, event: &AuditEvent) -> Result<(), StoreError>;
    async fn set_client_disabled(
        &self,
        id: Uuid,
        disabled: bool,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Replaces the secret; the old hash stays valid until `previous_until` when given.
    async fn set_client_secret(
        &self,
        id: Uuid,
        hash: &SecretHash,
        previous_until: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait ProvisionStore: UserStore + ClientStore {
    /// Writes every change and event in one transaction: all or nothing.
    async fn apply_provision(
        &self,
        changes: &ProvisionChanges,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
}

/// Everything the OpenID flows touch, as one object (`valet-store`'s `Database` is all of it).
pub trait OidcStore:
    UserStore
    + ClientStore
    + SessionStore
    + InteractionStore
    + GrantStore
    + CodeStore
    + TokenStore
    + RevocationStore
    + AuditStore
    + BatchStore
{
}

impl<T> OidcStore for T where
    T: UserStore
        + ClientStore
        + SessionStore
        + InteractionStore
        + GrantStore
        + CodeStore
        + TokenStore
        + RevocationStore
        + AuditStore
        + BatchStore
{
}

#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Succeeds when the database answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;
}
