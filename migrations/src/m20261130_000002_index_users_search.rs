//! The admin user search (`LOWER(username) LIKE 'q%' OR LOWER(email) LIKE 'q%' OR LOWER(name) LIKE
//! '%q%'`) on PostgreSQL: a part of the name can only be found through trigrams, and PostgreSQL
//! combines the OR only when every branch has an index, so each lowercased column gets a pg_trgm GIN
//! index. Searches of three or more characters then read a bitmap of the matches instead of every
//! user. pg_trgm ships with PostgreSQL (contrib) and is a trusted extension from PostgreSQL 13 on, so
//! the database owner can create it.
//!
//! SQLite has no such index; its deployments are small enough to scan.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 3] = ["username", "email", "name"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        conn.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .await?;
        for col in COLUMNS {
            conn.execute_unprepared(&format!(
                "CREATE INDEX idx_users_{col}_trgm ON users USING gin (lower({col}) gin_trgm_ops)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        // The extension stays: something else may have come to use it.
        for col in COLUMNS {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX idx_users_{col}_trgm"))
                .await?;
        }
        Ok(())
    }
}
