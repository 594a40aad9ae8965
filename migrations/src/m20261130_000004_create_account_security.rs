//! Account security: TOTP second factor (RFC 6238) on the user row, recovery codes, and the
//! one-time links mailed for email verification and password reset.
//!
//! The TOTP secret is sealed under the master key (AES-256-GCM, the user id as associated data);
//! `totp_last_step` is the last accepted time step, so a code is never accepted twice, even by two
//! replicas at once (the store advances it with a compare-and-set). Recovery codes and mailed tokens
//! are stored only as SHA-256 hashes: both are high-entropy, server-generated values.
//!
//! One column per statement: SQLite's ALTER TABLE adds a single column at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const USERS: &str = "users";
const RECOVERY: &str = "recovery_codes";
const TOKENS: &str = "account_tokens";

fn user_columns() -> [ColumnDef; 3] {
    [
        text_null("totp_secret_sealed"),
        timestamp_with_time_zone_null("totp_confirmed_at"),
        big_integer_null("totp_last_step"),
    ]
}

fn fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_user_id"))
        .from(table, "user_id")
        .to(USERS, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(table: &'static str, col: &'static str) -> IndexCreateStatement {
    Index::create()
        .name(format!("idx_{table}_{col}"))
        .table(table)
        .col(col)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in user_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(USERS)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RECOVERY)
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    .col(string("code_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut fk(RECOVERY))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index(RECOVERY, "user_id")).await?;
        manager
            .create_table(
                Table::create()
                    .table(TOKENS)
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    .col(string("purpose"))
                    .col(string("token_hash").unique_key())
                    .col(string_null("email"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut fk(TOKENS))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index(TOKENS, "user_id")).await?;
        manager.create_index(index(TOKENS, "expires_at")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [TOKENS, RECOVERY] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in user_columns().iter().rev() {
            let name = column.get_column_name();
            manager
                .alter_table(
                    Table::alter()
                        .table(USERS)
                        .drop_column(Alias::new(name))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
