//! `SecondFactorStore`: the TOTP factor on `users` and the recovery codes. Single use is enforced
//! in the database (conditional UPDATEs whose affected-row count decides), so two replicas
//! accepting the same TOTP step or recovery code at once cannot both succeed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};
use uuid::Uuid;
use valet_core::account::{MfaState, QueuedMail};
use valet_core::audit::AuditEvent;
use valet_core::ports::{SecondFactorStore, StoreError};
use valet_core::secret::SecretHash;

use crate::account::{audited_if, insert_mail};
use crate::audit;
use crate::database::{Database, backend};
use crate::entities::{recovery_codes, users};

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
impl SecondFactorStore for Database {
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
            .all(&self.lookups)
            .await
            .map_err(backend)?
            .into_iter()
            .next();
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
}
