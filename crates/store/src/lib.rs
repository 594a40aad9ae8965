//! Valet's persistence: the SeaORM entities (the one schema, created by `valet-migrations`) and the
//! implementations of `valet-core`'s storage ports, on SQLite (embedded default) and PostgreSQL.
//!
//! `Database` implements every port; each aggregate's adapter lives in its own module. ORM errors are
//! converted to `StoreError` here and never leave this crate.

mod account;
mod account_change;
mod admin;
mod assertions;
mod audit;
mod batch;
mod clients;
mod convert;
mod database;
pub mod entities;
mod grants;
mod hot;
mod housekeeping;
mod keys;
mod lookups;
mod outbox;
mod provision;
mod revocation;
mod second_factor;
mod sessions;
mod throttle;
mod tokens;
mod users;

pub use database::Database;
