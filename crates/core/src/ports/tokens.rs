//! Ports for issued tokens: refresh tokens and revoked access-token ids.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::refresh::RefreshToken;
use crate::secret::SecretHash;

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_refresh_token(
        &self,
        token: &RefreshToken,
        token_hash: &SecretHash,
    ) -> Result<(), StoreError>;
    async fn find_refresh_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<RefreshToken>, StoreError>;
    /// Marks the live, unrotated token `id` rotated and stores its successor `next`, in one
    /// transaction: exactly one caller ever gets `true` for a token, however many present it at
    /// once, and the others write nothing. So a reuse detected by a loser (which revokes the chain)
    /// finds the winner's successor already in the chain, and revokes it too.
    async fn rotate_refresh_token(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        next: &RefreshToken,
        next_hash: &SecretHash,
    ) -> Result<bool, StoreError>;
    /// Revokes every live token of a chain; returns how many were live.
    async fn revoke_refresh_chain(
        &self,
        chain_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Remembers a revoked access token until it would have expired anyway.
    async fn revoke_access_token(
        &self,
        jti: &str,
        grant_id: Option<Uuid>,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn is_access_token_revoked(&self, jti: &str) -> Result<bool, StoreError>;
}
