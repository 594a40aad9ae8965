//! The account side of a revocation cascade (`AccountChange`): disabling a user or a client, or
//! setting a password, in the cascade's transaction. Disabling a user also deletes their mailed
//! links; a new password voids outstanding reset links, and one set through a reset link spends it
//! in the same transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;
use valet_core::account::LinkPurpose;
use valet_core::interaction::Stage;
use valet_core::ports::StoreError;
use valet_core::revocation::AccountChange;

use crate::account::usable_link;
use crate::database::backend;
use crate::entities::{account_tokens, clients, interactions, users};

/// Deletes a user's mailed links (of one purpose, or all).
pub(crate) async fn forget_links(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    purpose: Option<LinkPurpose>,
) -> Result<(), StoreError> {
    let mut delete =
        account_tokens::Entity::delete_many().filter(account_tokens::Column::UserId.eq(user_id));
    if let Some(purpose) = purpose {
        delete = delete.filter(account_tokens::Column::Purpose.eq(purpose.as_str()));
    }
    delete.exec(txn).await.map_err(backend)?;
    Ok(())
}

/// Deletes the user's reset link `id` if it is still usable at `at`; false when it is not (spent,
/// expired, or not theirs).
async fn spend_reset_link(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let spent = account_tokens::Entity::delete_many()
        .filter(usable_link(id, at))
        .filter(account_tokens::Column::UserId.eq(user_id))
        .filter(account_tokens::Column::Purpose.eq(LinkPurpose::ResetPassword.as_str()))
        .exec(txn)
        .await
        .map_err(backend)?;
    Ok(spent.rows_affected == 1)
}

/// What `change_account` did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Applied {
    Changed,
    /// Nothing to change (no account change, or already disabled): the rest of the cascade runs.
    Unchanged,
    /// Refused (a reset link no longer usable): nothing else of the cascade may happen either.
    Refused,
}

/// Ends the user's sign-ins under way that got past the password (waiting for a second factor or
/// an authenticator's enrolment): they were checked against what the change replaces.
async fn end_sign_ins(txn: &DatabaseTransaction, user_id: Uuid) -> Result<(), StoreError> {
    let past_the_password = [Stage::SecondFactor, Stage::Enrol, Stage::Enrolled].map(Stage::as_str);
    interactions::Entity::delete_many()
        .filter(interactions::Column::UserId.eq(user_id))
        .filter(interactions::Column::Stage.is_in(past_the_password))
        .exec(txn)
        .await
        .map(drop)
        .map_err(backend)
}

/// Applies the account change. The user's row is updated first: on PostgreSQL that locks it, so a
/// sign-in whose batch locked it before (`crate::sessions::insert_session`) commits
/// first and has its session ended by the rest of the cascade, and one that comes after waits and
/// then finds the new password or the disabled account.
pub(crate) async fn change_account(
    txn: &DatabaseTransaction,
    change: &AccountChange,
    at: DateTime<Utc>,
) -> Result<Applied, StoreError> {
    match change {
        AccountChange::Nothing => Ok(Applied::Unchanged),
        AccountChange::DisableUser(id) => {
            let done = users::Entity::update_many()
                .col_expr(users::Column::Disabled, Expr::value(true))
                .col_expr(users::Column::UpdatedAt, Expr::value(at))
                .filter(users::Column::Id.eq(*id))
                .filter(users::Column::Disabled.eq(false))
                .exec(txn)
                .await
                .map_err(backend)?;
            // A disabled account's mailed links die with it (an unactivated sign-up stays off).
            forget_links(txn, *id, None).await?;
            end_sign_ins(txn, *id).await?;
            Ok(changed(done.rows_affected))
        }
        AccountChange::DisableClient(id) => {
            let done = clients::Entity::update_many()
                .col_expr(clients::Column::Disabled, Expr::value(true))
                .col_expr(clients::Column::UpdatedAt, Expr::value(at))
                .filter(clients::Column::Id.eq(*id))
                .filter(clients::Column::Disabled.eq(false))
                .exec(txn)
                .await
                .map_err(backend)?;
            Ok(changed(done.rows_affected))
        }
        AccountChange::SetPassword {
            user_id,
            hash,
            link,
        } => {
            if let Some(link) = link
                && !spend_reset_link(txn, *user_id, *link, at).await?
            {
                return Ok(Applied::Refused);
            }
            let done = users::Entity::update_many()
                .col_expr(users::Column::PasswordHash, Expr::value(hash.as_str()))
                .col_expr(users::Column::UpdatedAt, Expr::value(at))
                .filter(users::Column::Id.eq(*user_id))
                .exec(txn)
                .await
                .map_err(backend)?;
            if done.rows_affected != 1 {
                return Err(StoreError::NotFound(format!("user {user_id}")));
            }
            forget_links(txn, *user_id, Some(LinkPurpose::ResetPassword)).await?;
            end_sign_ins(txn, *user_id).await?;
            Ok(Applied::Changed)
        }
    }
}

fn changed(rows_affected: u64) -> Applied {
    if rows_affected == 1 {
        Applied::Changed
    } else {
        Applied::Unchanged
    }
}
