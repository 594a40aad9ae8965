//! Ports for SSO sessions and pending interactions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::client::Client;
use crate::interaction::Interaction;
use crate::secret::SecretHash;
use crate::session::Session;

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn find_session(&self, token_hash: &SecretHash) -> Result<Option<Session>, StoreError>;
    async fn find_session_by_id(&self, id: Uuid) -> Result<Option<Session>, StoreError>;
    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// The clients that hold a grant used within this session (its relying parties, for logout).
    async fn session_clients(&self, session_id: Uuid) -> Result<Vec<Client>, StoreError>;
    /// Ends a session (logout, revocation); ending an ended session changes nothing.
    async fn end_session(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait InteractionStore: Send + Sync {
    /// Stores an interaction under its handle's hash. If its id is stored already (a sealed login
    /// page posted again after it moved on), that row takes its stage, session and user.
    async fn insert_interaction(
        &self,
        interaction: &Interaction,
        handle_hash: &SecretHash,
    ) -> Result<(), StoreError>;
    /// The interaction and its client, read together.
    async fn find_interaction(
        &self,
        handle_hash: &SecretHash,
    ) -> Result<Option<(Interaction, Client)>, StoreError>;
    async fn update_interaction(&self, interaction: &Interaction) -> Result<(), StoreError>;
    async fn delete_interaction(&self, id: Uuid) -> Result<(), StoreError>;
}
