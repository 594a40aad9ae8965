//! Ports for grants and the authorization codes issued under them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::code::{AuthorizationCode, Redemption};
use crate::grant::Grant;
use crate::refresh::RefreshToken;
use crate::secret::SecretHash;

#[async_trait]
pub trait GrantStore: Send + Sync {
    /// The user's unrevoked grant to this client (by the client's row id), if any.
    async fn find_live_grant(
        &self,
        user_id: Uuid,
        client: Uuid,
    ) -> Result<Option<Grant>, StoreError>;
    async fn find_grant(&self, id: Uuid) -> Result<Option<Grant>, StoreError>;
    /// Records that tokens were minted from the grant at `at` (its `last_used_at`).
    async fn touch_grant(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Grants of a user and/or a client (by row id), newest first, at most `limit`.
    async fn list_grants(
        &self,
        user_id: Option<Uuid>,
        client: Option<Uuid>,
        live_only: bool,
        limit: u64,
    ) -> Result<Vec<Grant>, StoreError>;
    /// Inserts or rewrites the grant and records that `session_id` used it, atomically.
    async fn save_grant(
        &self,
        grant: &Grant,
        session_id: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait CodeStore: Send + Sync {
    async fn find_code(
        &self,
        code_hash: &SecretHash,
    ) -> Result<Option<AuthorizationCode>, StoreError>;
    /// Marks the code consumed if it was not: exactly one caller ever gets `Fresh` for a code, however
    /// many present it at once.
    async fn consume_code(
        &self,
        code_hash: &SecretHash,
        at: DateTime<Utc>,
    ) -> Result<Redemption, StoreError>;
    /// `consume_code`, and in the same transaction what the `Fresh` redemption issued: the code
    /// remembers it (to revoke on a replay) and a refresh token's chain starts. A `Replayed` or
    /// `Unknown` redemption writes nothing; a failure writes nothing either, and the code stays
    /// unspent.
    async fn redeem_code(
        &self,
        code_hash: &SecretHash,
        at: DateTime<Utc>,
        issued: Issued<'_>,
    ) -> Result<Redemption, StoreError>;
}

/// What a code's redemption issues.
#[derive(Clone, Copy, Debug)]
pub struct Issued<'a> {
    pub access_token_jti: &'a str,
    /// The first refresh token of a new chain, and its hash.
    pub refresh: Option<(&'a RefreshToken, &'a SecretHash)>,
}
