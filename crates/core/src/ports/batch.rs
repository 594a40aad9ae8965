//! Writes sent together. A step of the authorization flow that changes several rows (the session a
//! login starts, the end of its interaction, the grant and the code issued under it) sends them as
//! one batch: one round trip to the database and one transaction, all or none, instead of a
//! statement and a commit each.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::code::AuthorizationCode;
use crate::grant::Grant;
use crate::secret::SecretHash;
use crate::session::{Session, SignInCheck};

/// One write of a batch. Sessions and codes are only ever written this way; a grant alone goes
/// through `GrantStore::save_grant`, and an interaction alone through `InteractionStore`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    /// A new session, stored under the hash of its cookie's token, only while what its sign-in
    /// checked still holds; otherwise the batch fails with `StoreError::Stale` and writes nothing.
    InsertSession {
        session: Session,
        token_hash: SecretHash,
        checked: SignInCheck,
    },
    /// `InteractionStore::delete_interaction`: the interaction is over.
    DeleteInteraction(Uuid),
    /// `GrantStore::save_grant`: the grant, inserted or rewritten, bound to the session.
    SaveGrant {
        grant: Grant,
        session_id: Option<Uuid>,
        at: DateTime<Utc>,
    },
    /// A new authorization code, stored under the hash of its value.
    InsertCode {
        code: AuthorizationCode,
        code_hash: SecretHash,
    },
}

#[async_trait]
pub trait BatchStore: Send + Sync {
    /// Applies `writes` atomically (all or none), in one round trip. Rows a write refers to may be
    /// written by an earlier write of the same batch (a code's session and grant). An empty batch
    /// sends nothing.
    async fn write_batch(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}
