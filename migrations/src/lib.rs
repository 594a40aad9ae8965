//! Valet's schema history: every migration, in order, for `valet migrate` and start-up.
//!
//! Migrations are frozen once released: they name tables and columns with plain strings rather than
//! sharing identifiers with the entities, so a later rename can never rewrite history.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20261122_000001_create_schema;
mod m20261122_000002_create_used_assertions;
mod m20261122_000003_extend_authorization_codes;
mod m20261122_000004_index_users_email_lower;
mod m20261122_000005_extend_clients;
mod m20261130_000001_index_admin_listings;
mod m20261130_000002_index_users_search;
mod m20261130_000003_create_login_throttles;
mod m20261130_000004_create_account_security;
mod m20261202_000001_add_users_email_key;
mod m20261203_000001_clear_pending_sign_up_passwords;

/// Applies Valet's migrations; the same list runs on SQLite and PostgreSQL.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_schema::Migration),
            Box::new(m20261122_000002_create_used_assertions::Migration),
            Box::new(m20261122_000003_extend_authorization_codes::Migration),
            Box::new(m20261122_000004_index_users_email_lower::Migration),
            Box::new(m20261122_000005_extend_clients::Migration),
            Box::new(m20261130_000001_index_admin_listings::Migration),
            Box::new(m20261130_000002_index_users_search::Migration),
            Box::new(m20261130_000003_create_login_throttles::Migration),
            Box::new(m20261130_000004_create_account_security::Migration),
            Box::new(m20261202_000001_add_users_email_key::Migration),
            Box::new(m20261203_000001_clear_pending_sign_up_passwords::Migration),
        ]
    }
}
