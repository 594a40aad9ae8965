//! `AccountStore`: mailed links, queued mail and the second factor. Single use is enforced in the
//! database (conditional UPDATEs whose affected-row count decides), so two replicas accepting the
//! same link, TOTP step or recovery code at once cannot both succeed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoCondition};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, JoinType, PaginatorTrait, QueryFilter, QuerySelect, RelationTrait,
};
use uuid::Uuid;
use valet_core::account::{AccountToken, LinkPurpose, MAIL_KIND, MfaState, QueuedMail};
use valet_core::audit::AuditEvent;
use valet_core::outbox::OutboxStatus;
use valet_core::password::PasswordHash;
use valet_core::ports::{AccountStore, StoreError};
use valet_core::secret::SecretHash;

use crate::audit;
use crate::database::{Database, backend};
use crate::entities::{account_tokens, outbox, recovery_codes, users};

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

async fn insert_mail(conn: &impl ConnectionTrait, mail: &QueuedMail) -> Result<(), StoreError> {
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
    .insert(conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Ends a guarded change: when its conditional update `changed` a row, records `event` and commits
/// (true); otherwise the transaction is dropped, rolling back, and the answer is false.
async fn audited_if(
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

async fn insert_codes(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    recovery: &[SecretHash],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .exec(conn)
        .await
        .map_err(backend)?;
    if recovery.is_empty() {
        return Ok(());
    }
    let rows = recovery.iter().map(|hash| {
        recovery_codes::Model {
            id: Uuid::now_v7(),
            user_id,
            code_hash: hash.as_str().to_owned(),
            created_at: at,
            used_at: None,
        }
        .into_active_model()
    });
    recovery_codes::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map_err(backend)?;
    Ok(())
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
        .insert(&txn)
        .await
        .map_err(backend)?;
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
            .one(&self.conn)
            .await
            .map_err(backend)?
            .map(token_from)
            .transpose()
    }

    async fn use_link(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let result = account_tokens::Entity::update_many()
            .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
            .filter(account_tokens::Column::Id.eq(id))
            .filter(account_tokens::Column::UsedAt.is_null())
            .filter(account_tokens::Column::ExpiresAt.gt(now))
            .exec(&self.conn)
            .await
            .map_err(backend)?;
        Ok(result.rows_affected == 1)
    }

    async fn verify_email(
        &self,
        user_id: Uuid,
        email: &str,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let txn = self.write_transaction().await?;
        let lower = || Expr::expr(Func::lower(Expr::col(users::Column::Email)));
        let others = users::Entity::find()
            .filter(lower().eq(email.to_lowercase()))
            .filter(users::Column::Id.ne(user_id))
            .count(&txn)
            .await
            .map_err(backend)?;
        if others > 0 {
            return Ok(false);
        }
        let result = users::Entity::update_many()
            .col_expr(users::Column::Email, Expr::value(email))
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
        user_id: Uuid,
        email: &str,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let txn = self.write_transaction().await?;
        let result = users::Entity::update_many()
            .col_expr(users::Column::Disabled, Expr::value(false))
            .col_expr(users::Column::EmailVerified, Expr::value(true))
            .col_expr(users::Column::UpdatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(user_id))
            .filter(users::Column::Disabled.eq(true))
            .filter(
                Expr::expr(Func::lower(Expr::col(users::Column::Email))).eq(email.to_lowercase()),
            )
            .exec(&txn)
            .await
            .map_err(backend)?;
        audited_if(txn, result.rows_affected == 1, event).await
    }

    async fn queue_mail(&self, mail: &QueuedMail, event: &AuditEvent) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        insert_mail(&txn, mail).await?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }

    async fn mfa(&self, user_id: Uuid) -> Result<MfaState, StoreError> {
        // One query: the user's factor columns and the count of their unused codes (a left join
        // whose condition keeps users without any).
        let unused = users::Relation::RecoveryCodes
            .def()
            .on_condition(|_, codes| {
                Expr::col((codes, recovery_codes::Column::UsedAt))
                    .is_null()
                    .into_condition()
            });
        let found = users::Entity::find_by_id(user_id)
            .select_only()
            .column(users::Column::TotpSecretSealed)
            .column(users::Column::TotpConfirmedAt)
            .column(users::Column::TotpLastStep)
            .column_as(recovery_codes::Column::Id.count(), "unused")
            .join(JoinType::LeftJoin, unused)
            .group_by(users::Column::Id)
            .into_tuple::<(Option<String>, Option<DateTime<Utc>>, Option<i64>, i64)>()
            .one(&self.conn)
            .await
            .map_err(backend)?;
        Ok(
            found.map_or_else(MfaState::default, |(sealed, confirmed, step, left)| {
                MfaState {
                    totp_sealed: sealed,
                    confirmed_at: confirmed,
                    last_step: step,
                    recovery_codes_left: u32::try_from(left).unwrap_or(u32::MAX),
                }
            }),
        )
    }

    async fn begin_totp(&self, user_id: Uuid, sealed: &str) -> Result<bool, StoreError> {
        let result = users::Entity::update_many()
            .col_expr(users::Column::TotpSecretSealed, Expr::value(sealed))
            .col_expr(
                users::Column::TotpLastStep,
                Expr::value(Option::<i64>::None),
            )
            .filter(users::Column::Id.eq(user_id))
            .filter(users::Column::TotpConfirmedAt.is_null())
            .exec(&self.conn)
            .await
            .map_err(backend)?;
        Ok(result.rows_affected == 1)
    }

    async fn confirm_totp(
        &self,
        user_id: Uuid,
        sealed: &str,
        step: i64,
        recovery: &[SecretHash],
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let txn = self.write_transaction().await?;
        let result = users::Entity::update_many()
            .col_expr(users::Column::TotpConfirmedAt, Expr::value(at))
            .col_expr(users::Column::TotpLastStep, Expr::value(step))
            .col_expr(users::Column::UpdatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(user_id))
            .filter(users::Column::TotpSecretSealed.eq(sealed))
            .filter(users::Column::TotpConfirmedAt.is_null())
            .exec(&txn)
            .await
            .map_err(backend)?;
        if result.rows_affected != 1 {
            return Ok(false);
        }
        insert_codes(&txn, user_id, recovery, at).await?;
        audited_if(txn, true, event).await
    }

    async fn advance_totp_step(&self, user_id: Uuid, step: i64) -> Result<bool, StoreError> {
        let result = users::Entity::update_many()
            .col_expr(users::Column::TotpLastStep, Expr::value(step))
            .filter(users::Column::Id.eq(user_id))
            .filter(
                sea_orm::Condition::any()
                    .add(users::Column::TotpLastStep.is_null())
                    .add(users::Column::TotpLastStep.lt(step)),
            )
            .exec(&self.conn)
            .await
            .map_err(backend)?;
        Ok(result.rows_affected == 1)
    }

    async fn use_recovery_code(
        &self,
        user_id: Uuid,
        hash: &SecretHash,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let txn = self.write_transaction().await?;
        let result = recovery_codes::Entity::update_many()
            .col_expr(recovery_codes::Column::UsedAt, Expr::value(at))
            .filter(recovery_codes::Column::UserId.eq(user_id))
            .filter(recovery_codes::Column::CodeHash.eq(hash.as_str()))
            .filter(recovery_codes::Column::UsedAt.is_null())
            .exec(&txn)
            .await
            .map_err(backend)?;
        audited_if(txn, result.rows_affected > 0, event).await
    }

    async fn replace_recovery_codes(
        &self,
        user_id: Uuid,
        recovery: &[SecretHash],
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        insert_codes(&txn, user_id, recovery, at).await?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }

    async fn remove_mfa(
        &self,
        user_id: Uuid,
        at: DateTime<Utc>,
        event: &AuditEvent,
        notice: Option<(&QueuedMail, &AuditEvent)>,
    ) -> Result<bool, StoreError> {
        let txn = self.write_transaction().await?;
        let removed = users::Entity::update_many()
            .col_expr(
                users::Column::TotpSecretSealed,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                users::Column::TotpConfirmedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                users::Column::TotpLastStep,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(users::Column::UpdatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(user_id))
            .filter(users::Column::TotpSecretSealed.is_not_null())
            .exec(&txn)
            .await
            .map_err(backend)?
            .rows_affected
            > 0;
        if !removed {
            return Ok(false);
        }
        insert_codes(&txn, user_id, &[], at).await?;
        audit::insert(&txn, event).await?;
        if let Some((mail, queued)) = notice {
            insert_mail(&txn, mail).await?;
            audit::insert(&txn, queued).await?;
        }
        txn.commit().await.map_err(backend)?;
        Ok(true)
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
