//! Addresses are matched by a key Valet computes (`valet_core::user::email_key`: the address
//! lowercased over all of Unicode) and stores in `users.email_key`, instead of SQL's `lower(email)`:
//! SQLite's `lower()` folds only ASCII, and PostgreSQL's follows the database's collation, so the
//! same address in capitals with an accented letter matched on one backend and not the other. The
//! key is backfilled here from every stored address, folded the same way (the function is copied,
//! not imported: a migration keeps the rule of the day it ran), and indexed; the `lower(email)`
//! index goes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::FromQueryResult;
use sea_orm_migration::sea_orm::prelude::Uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    EmailKey,
}

#[derive(FromQueryResult)]
struct Address {
    id: Uuid,
    email: String,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::EmailKey).string().null())
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        let backend = manager.get_database_backend();
        let select = Query::select()
            .columns([Users::Id, Users::Email])
            .from(Users::Table)
            .and_where(Expr::col(Users::Email).is_not_null())
            .to_owned();
        let addresses = Address::find_by_statement(backend.build(&select))
            .all(conn)
            .await?;
        for address in addresses {
            let update = Query::update()
                .table(Users::Table)
                .value(Users::EmailKey, address.email.to_lowercase())
                .and_where(Expr::col(Users::Id).eq(address.id))
                .to_owned();
            manager.exec_stmt(update).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_users_email_key")
                    .table(Users::Table)
                    .col(Users::EmailKey)
                    .to_owned(),
            )
            .await?;
        conn.execute_unprepared("DROP INDEX idx_users_email_lower")
            .await
            .map(drop)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared("CREATE INDEX idx_users_email_lower ON users (lower(email))")
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_users_email_key")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::EmailKey)
                    .to_owned(),
            )
            .await
    }
}
