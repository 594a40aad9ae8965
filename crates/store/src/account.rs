//! `AccountStore`: mailed links, queued mail and password hash upgrades. Single use is enforced in
//! the database (conditional UPDATEs whose affected-row count decides), so two replicas accepting
//! the same link at once cannot both succeed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter,
};
use uuid::Uuid;
use valet_core::account::{AccountToken, LinkPurpose, MAIL_KIND, QueuedMail};
use valet_core::audit::AuditEvent;
use valet_core::outbox::OutboxStatus;
use valet_core::password::PasswordHash;
use valet_core::ports::{AccountStore, StoreError};
use valet_core::secret::SecretHash;
use valet_core::user::{StandardClaims, email_key};

use crate::account_change::forget_links;
use crate::audit;
use crate::database::{Database, InsertRow, backend};
use crate::entities::{account_tokens, outbox, users};

/// The link `id`, while it is usable at `at` (not used, not expired): the condition every
/// statement that spends a link is conditional on (`use_link`, and a password set through a reset
/// link in `crate::account_change`).
pub(crate) fn usable_link(id: Uuid, at: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(account_tokens::Column::Id.eq(id))
        .add(account_tokens::Column::UsedAt.is_null())
        .add(account_tokens::Column::ExpiresAt.gt(at))
}

fn token_from(row: account_tokens::Model) -> Result<AccountToken, StoreError> {
    Ok(AccountToken {
        id: row.id,
        user_id: row.user_id,
        purpose: row
            .purpose
            .parse()
            .map_err(|e| StoreError::Backend(format!("account_tokens.purpose: {e}")))?,
        email: row.email,
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
    })
}

pub(crate) async fn insert_mail(
    conn: &impl ConnectionTrait,
    mail: &QueuedMail,
) -> Result<(), StoreError> {
    outbox::Model {
        id: mail.id,
        kind: MAIL_KIND.to_owned(),
        client_id: None,
        target: mail.to.clone(),
        payload: mail.sealed.clone(),
        status: OutboxStatus::Pending.as_str().to_owned(),
        attempts: 0,
        next_attempt_at: mail.queued_at,
        last_error: None,
        created_at: mail.queued_at,
        delivered_at: None,
    }
    .into_active_model()
    .insert_row(conn)
    .await?;
    Ok(())
}

/// Marks the link used if it still is usable at `at`; false when it was not (used, expired).
async fn spend_link(
    db: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = account_tokens::Entity::update_many()
        .col_expr(account_tokens::Column::UsedAt, Expr::value(at))
        .filter(usable_link(id, at))
        .exec(db)
        .await
        .map_err(backend)?;
    Ok(result.rows_affected == 1)
}

/// Ends a guarded change: when its conditional update `changed` a row, records `event` and commits
/// (true); otherwise the transaction is dropped, rolling back, and the answer is false.
pub(crate) async fn audited_if(
    txn: DatabaseTransaction,
    changed: bool,
    event: &AuditEvent,
) -> Result<bool, StoreError> {
    if !changed {
        return Ok(false);
    }
    audit::insert(&txn, event).await?;
    txn.commit().await.map_err(backend)?;
    Ok(true)
}

#[async_trait]
impl AccountStore for Database {
    async fn issue_link(
        &self,
        token: &AccountToken,
        hash: &SecretHash,
        mail: &QueuedMail,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        // A new link supersedes the user's older ones of the same purpose.
        account_tokens::Entity::delete_many()
            .filter(account_tokens::Column::UserId.eq(token.user_id))
            .filter(account_tokens::Column::Purpose.eq(token.purpose.as_str()))
            .exec(&txn)
            .await
            .map_err(backend)?;
        account_tokens::Model {
            id: token.id,
            user_id: token.user_id,
            purpose: token.purpose.as_str().to_owned(),
            token_hash: hash.as_str().to_owned(),
            email: token.email.clone(),
            created_at: token.created_at,
            expires_at: token.expires_at,
            used_at: token.used_at,
        }
        .into_active_model()
        .insert_row(&txn)
        .await?;
        insert_mail(&txn, mail).await?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }

    async fn find_link(
        &self,
        hash: &SecretHash,
        purpose: LinkPurpose,
    ) -> Result<Option<AccountToken>, StoreError> {
        account_tokens::Entity::find()
            .filter(account_tokens::Column::TokenHash.eq(hash.as_str()))
            .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
            .all(&self.lookups)
            .await
            .map_err(backend)?
            .into_iter()
            .next()
            .map(token_from)
            .transpose()
    }

    async fn use_link(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        spend_link(&self.conn, id, now).await
    }

    async fn verify_email(
        &self,
        link: Uuid,
        user_id: Uuid,
        email: &str,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let txn = self.write_transaction().await?;
        if !spend_link(&txn, link, at).await? {
            return Ok(false);
        }
        let others = users::Entity::find()
            .filter(users::Column::EmailKey.eq(email_key(email)))
            .filter(users::Column::Id.ne(user_id))
            .count(&txn)
            .await
            .map_err(backend)?;
        if others > 0 {
            return Ok(false);
        }
        // Reset links went to the address being replaced, which may no longer be the user's.
        let previous = users::Entity::find_by_id(user_id)
            .one(&txn)
            .await
            .map_err(backend)?
            .and_then(|user| user.email);
        if previous.is_none_or(|previous| email_key(&previous) != email_key(email)) {
            forget_links(&txn, user_id, Some(LinkPurpose::ResetPassword)).await?;
        }
        let result = users::Entity::update_many()
            .col_expr(users::Column::Email, Expr::value(email))
            .col_expr(users::Column::EmailKey, Expr::value(email_key(email)))
            .col_expr(users::Column::EmailVerified, Expr::value(true))
            .col_expr(users::Column::UpdatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(user_id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        audited_if(txn, result.rows_affected == 1, event).await
    }

    async fn activate_user(
        &self,
        link: Uuid,
        user_id: Uuid,
        email: &str,
        password: &PasswordHash,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let txn = self.write_transaction().await?;
        if !spend_link(&txn, link, at).await? {
            return Ok(false);
        }
        let result = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(password.as_str()))
            .col_expr(users::Column::Disabled, Expr::value(false))
            .col_expr(users::Column::EmailVerified, Expr::value(true))
            .col_expr(users::Column::UpdatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(user_id))
            .filter(users::Column::Disabled.eq(true))
            .filter(users::Column::PasswordHash.is_null())
            .filter(users::Column::EmailKey.eq(email_key(email)))
            .exec(&txn)
            .await
            .map_err(backend)?;
        audited_if(txn, result.rows_affected == 1, event).await
    }

    async fn update_profile(
        &self,
        user_id: Uuid,
        claims: &StandardClaims,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        let result = users::Entity::update_many()
            .col_expr(users::Column::Name, Expr::value(claims.name.clone()))
            .col_expr(
                users::Column::GivenName,
                Expr::value(claims.given_name.clone()),
            )
            .col_expr(
                users::Column::FamilyName,
                Expr::value(claims.family_name.clone()),
            )
            .col_expr(users::Column::Locale, Expr::value(claims.locale.clone()))
            .col_expr(
                users::Column::Zoneinfo,
                Expr::value(claims.zoneinfo.clone()),
            )
            .col_expr(users::Column::UpdatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(user_id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        if !audited_if(txn, result.rows_affected == 1, event).await? {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        }
        Ok(())
    }

    async fn queue_mail(&self, mail: &QueuedMail, event: &AuditEvent) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        insert_mail(&txn, mail).await?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }

    async fn upgrade_password_hash(
        &self,
        user_id: Uuid,
        old: &PasswordHash,
        new: &PasswordHash,
    ) -> Result<bool, StoreError> {
        let result = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(new.as_str()))
            .filter(users::Column::Id.eq(user_id))
            .filter(users::Column::PasswordHash.eq(old.as_str()))
            .exec(&self.conn)
            .await
            .map_err(backend)?;
        Ok(result.rows_affected == 1)
    }
}
