//! Clients that authenticate with client_secret_jwt keep their secret sealed under the master key
//! (AES-256-GCM, the client_id as associated data) beside its hash: an HMAC assertion (OIDC Core §9) is
//! verified with the secret itself. Both columns stay NULL for every other method.
//!
//! One column per statement: SQLite's ALTER TABLE adds a single column at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "clients";

fn columns() -> [ColumnDef; 2] {
    // `blob` is BLOB on SQLite and BYTEA on PostgreSQL.
    [blob_null("secret_sealed"), blob_null("secret_sealed_nonce")]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(TABLE)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in columns().iter().rev() {
            let name = column.get_column_name();
            manager
                .alter_table(
                    Table::alter()
                        .table(TABLE)
                        .drop_column(Alias::new(name))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
