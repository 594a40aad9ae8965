//! Authorization codes learn two facts: whether the authorization request named its redirect URI (RFC
//! 6749 §4.1.3 then requires it again at the token endpoint), and what the first redemption issued, so a
//! replayed code can revoke exactly that (RFC 6749 §4.1.2).
//!
//! One column per statement: SQLite's ALTER TABLE adds a single column at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "authorization_codes";

fn columns() -> [ColumnDef; 3] {
    [
        boolean("redirect_uri_given").default(true).take(),
        string_null("issued_access_token_jti"),
        uuid_null("issued_refresh_chain_id"),
    ]
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
