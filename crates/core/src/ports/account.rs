//! The port behind the account pages: mailed one-time links, queued mail and the password hash
//! upgrade (the second factor is `SecondFactorStore`'s). Every change that matters to security is
//! written with its audit event in one transaction, and every "use once" is a compare-and-set, so
//! two replicas cannot both accept.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::account::{AccountToken, LinkPurpose, QueuedMail};
use crate::audit::AuditEvent;
use crate::password::PasswordHash;
use crate::secret::SecretHash;
use crate::user::StandardClaims;

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Stores a link (deleting the user's older ones of the same purpose) and queues the mail that
    /// carries it, with the event, atomically.
    async fn issue_link(
        &self,
        token: &AccountToken,
        hash: &SecretHash,
        mail: &QueuedMail,
        event: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// The link, if it exists for this purpose (used or not: the caller tells the user which).
    async fn find_link(
        &self,
        hash: &SecretHash,
        purpose: LinkPurpose,
    ) -> Result<Option<AccountToken>, StoreError>;
    /// Marks the link used if it is still usable at `now`; false when it was not (used, expired).
    async fn use_link(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Spends the link `link` and makes `email` the user's address, verified, in one transaction;
    /// refused (false, and the link stays as it was) when the link is no longer usable or while
    /// another account uses the address.
    async fn verify_email(
        &self,
        link: Uuid,
        user_id: Uuid,
        email: &str,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// Spends the link `link`, sets the password the activating mailbox owner chose, enables a
    /// self-registered account and marks its address verified, in one transaction, only while the
    /// link is usable, the account still disabled and without a password, and its address still
    /// `email` (otherwise nothing changes).
    async fn activate_user(
        &self,
        link: Uuid,
        user_id: Uuid,
        email: &str,
        password: &PasswordHash,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// The user's own profile edit: rewrites only what the account page edits (name, given and
    /// family name, locale, time zone, from `claims`) and `updated_at`, with its event, so an edit
    /// never undoes a concurrent administrator's change to anything else (roles, other claims).
    async fn update_profile(
        &self,
        user_id: Uuid,
        claims: &StandardClaims,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Queues a mail that carries no link (a notice), with its event.
    async fn queue_mail(&self, mail: &QueuedMail, event: &AuditEvent) -> Result<(), StoreError>;

    /// Replaces a hash made with older parameters, only if it is still `old` (a password change
    /// racing the upgrade wins).
    async fn upgrade_password_hash(
        &self,
        user_id: Uuid,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<bool, StoreError>;
}
