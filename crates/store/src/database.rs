//! Connection, migrations and the health probe.

use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, DatabaseConnection, DatabaseTransaction, DbErr, SqlErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use valet_core::ports::{HealthStore, StoreError};
use valet_migrations::{Migrator, MigratorTrait};

/// A pool of connections to SQLite or PostgreSQL. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Database {
    pub(crate) conn: DatabaseConnection,
}

impl Database {
    /// Connects; SQLite connections get WAL journaling, a busy timeout and enforced foreign keys.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            // A connection used in the last half minute is handed out as it is; only one idle for
            // longer (that a server restart or a firewall may have cut) is pinged first. Pinging
            // on every checkout doubled the round trips of every statement; the price is that
            // right after a PostgreSQL restart, a recently used connection fails one statement.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            .sqlx_logging(false)
            // Every pooled connection, not just one: writers wait for the lock instead of failing,
            // readers never block writers, and foreign keys are enforced.
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
            });
        let conn = sea_orm::Database::connect(options).await.map_err(backend)?;
        Ok(Self { conn })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.conn, None).await.map_err(backend)
    }

    /// A transaction that will write. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so a
    /// concurrent writer waits out the busy timeout instead of failing a read-to-write upgrade with
    /// SQLITE_BUSY; PostgreSQL ignores the mode.
    pub(crate) async fn write_transaction(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        self.conn.begin_with_options(options).await.map_err(backend)
    }

    /// The underlying connection, for tests and tools that need raw access.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }
}

#[async_trait]
impl HealthStore for Database {
    async fn ping(&self) -> Result<(), StoreError> {
        self.conn.ping().await.map_err(backend)
    }
}

/// Maps an ORM error to the port's error: unique violations are conflicts, the rest backend failures.
pub(crate) fn backend(e: DbErr) -> StoreError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => StoreError::Conflict(detail),
        _ => StoreError::Backend(e.to_string()),
    }
}
