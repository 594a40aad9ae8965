//! Initial schema: accounts, clients (OIDC Dynamic Client Registration §2 metadata), SSO sessions,
//! grants, authorization codes, refresh tokens, revoked access tokens, signing keys, audit log, outbox.
//!
//! Portable between SQLite and PostgreSQL: ids are application-generated UUIDv7 (no database default),
//! timestamps are UTC `timestamp with time zone`, secrets appear only as hashes or ciphertext.
//!
//! The tables live in child modules by domain; this file only fixes their creation order. Every
//! foreign-key column leads some index, so ON DELETE CASCADE / SET NULL never scans the child table.

use sea_orm_migration::prelude::*;

mod ddl;
mod identity;
mod records;
mod sessions;
mod tokens;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for spec in tables() {
            manager.create_table(spec.create).await?;
            for index in spec.indexes {
                manager.create_index(index).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Reverse creation order: children go before the tables their foreign keys point at.
        for spec in tables().into_iter().rev() {
            manager
                .drop_table(Table::drop().table(spec.name).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// One table with its secondary indexes; `tables()` is the single source of the creation order.
struct TableSpec {
    name: &'static str,
    create: TableCreateStatement,
    indexes: Vec<IndexCreateStatement>,
}

/// Parents before children, so every foreign key finds the table it points at.
fn tables() -> Vec<TableSpec> {
    vec![
        identity::users(),
        identity::user_roles(),
        identity::clients(),
        sessions::sessions(),
        sessions::grants(),
        sessions::session_grants(),
        sessions::interactions(),
        tokens::authorization_codes(),
        tokens::refresh_tokens(),
        tokens::revoked_access_tokens(),
        tokens::signing_keys(),
        records::audit_events(),
        records::outbox(),
    ]
}
