//! Indexes for the admin listings, which walk `grants` and `audit_events` by id downwards (UUIDv7, so
//! newest first) under an equality filter: with the filter column first and the id second, a page reads
//! `limit` index entries in order instead of sorting every row that matches the filter.
//!
//! An audit target is found by `target_id` alone (ids do not repeat across target types, and the type
//! is then checked on the few rows found), so the listing works with or without `target_type`.
//! `(client_id, id)` supersedes `(client_id)` (it still leads with the foreign key, for ON DELETE
//! CASCADE), and the id-ordered audit indexes supersede the `occurred_at`-ordered ones that no query
//! used, so those are dropped: every change writes an audit row, which should carry no dead index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Created by this migration.
const ADDED: [(&str, &[&str]); 5] = [
    ("grants", &["user_id", "id"]),
    ("grants", &["client_id", "id"]),
    ("audit_events", &["actor", "id"]),
    ("audit_events", &["action", "id"]),
    ("audit_events", &["target_id", "id"]),
];

/// Created by `m20261122_000001_create_schema`, superseded by `ADDED`.
const DROPPED: [(&str, &[&str]); 4] = [
    ("grants", &["client_id"]),
    ("audit_events", &["actor", "occurred_at"]),
    ("audit_events", &["action", "occurred_at"]),
    ("audit_events", &["target_type", "target_id"]),
];

/// `idx_<table>_<cols>`, the naming scheme of the initial schema.
fn name(table: &str, cols: &[&str]) -> String {
    format!("idx_{table}_{}", cols.join("_"))
}

async fn create(
    manager: &SchemaManager<'_>,
    indexes: &[(&'static str, &[&'static str])],
) -> Result<(), DbErr> {
    for (table, cols) in indexes {
        let mut index = Index::create();
        index.name(name(table, cols)).table(*table);
        for col in *cols {
            index.col(*col);
        }
        manager.create_index(index).await?;
    }
    Ok(())
}

async fn drop(
    manager: &SchemaManager<'_>,
    indexes: &[(&'static str, &[&'static str])],
) -> Result<(), DbErr> {
    for (table, cols) in indexes {
        manager
            .drop_index(
                Index::drop()
                    .name(name(table, cols))
                    .table(*table)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(manager, &ADDED).await?;
        drop(manager, &DROPPED).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(manager, &DROPPED).await?;
        drop(manager, &ADDED).await
    }
}
