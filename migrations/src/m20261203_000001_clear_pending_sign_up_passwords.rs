//! Self-registration used to take the password with the address; it now takes the address only,
//! and the activation link's page asks for the password (`activate_user` requires that none is set
//! yet). A sign-up still pending when this runs (disabled, with an unspent activation link) had its
//! password stored already, and could not be activated: its password is cleared, to be chosen on
//! the activation page. Such an account was never usable, so no sign-in is lost. A spent link (kept
//! until it expires) marks an account activated already, perhaps disabled since: it keeps its
//! password.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    PasswordHash,
    Disabled,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    UserId,
    Purpose,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let pending = Query::select()
            .column(AccountTokens::UserId)
            .from(AccountTokens::Table)
            .and_where(Expr::col(AccountTokens::Purpose).eq("activate_account"))
            .and_where(Expr::col(AccountTokens::UsedAt).is_null())
            .to_owned();
        let clear = Query::update()
            .table(Users::Table)
            .value(Users::PasswordHash, Option::<String>::None)
            .and_where(Expr::col(Users::Disabled).eq(true))
            .and_where(Expr::col(Users::Id).in_subquery(pending))
            .to_owned();
        manager.exec_stmt(clear).await
    }

    /// The cleared passwords are gone; the pending sign-ups set theirs on activation either way.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
