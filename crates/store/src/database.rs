//! Connection, migrations and the health probe, and two rules every adapter follows:
//!
//! - Lookups by a unique key read with `all()` and take the first row, never with sea-orm's `one()`.
//!   `one()` appends `LIMIT 1`, which sea-query sends as a bound parameter, and SQLite plans a
//!   `LIMIT ?` on the value bound to it: binding the next value expires the prepared statement, so
//!   every `one()` on SQLite was parsed and planned again (5 statements of a login, and about a third
//!   of its instructions outside argon2, by callgrind). A unique key needs no limit.
//! - Rows whose insert is not read back are written without `RETURNING`: [`InsertRow::insert_row`],
//!   or a statement built for a batch of writes (`crate::batch`).
//! - The point lookups of the request paths (a client, user, session, interaction, code, token,
//!   grant or throttle counter by its key) read through [`Database::lookups`] (connections of
//!   their own, `crate::lookups`), never inside a transaction; on a SQLite file the batches of
//!   writes go to a connection of their own (`crate::batch`); everything else, writes and scans,
//!   through the pool.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sqlx::{
    self,
    sqlite::{SqliteConnectOptions, SqliteError, SqliteJournalMode, SqliteSynchronous},
};
use sea_orm::{
    ActiveModelTrait, ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, IntoActiveModel, RuntimeErr, SqlErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use valet_core::ports::{HealthStore, StoreError};
use valet_migrations::{Migrator, MigratorTrait};

use crate::batch::BatchConnection;
use crate::lookups::Lookups;

/// A pool of connections to SQLite or PostgreSQL. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Database {
    pub(crate) conn: DatabaseConnection,
    /// Where point lookups go: connections of their own (`crate::lookups`).
    pub(crate) lookups: Lookups,
    /// Where batches of writes go on a SQLite file (`crate::batch`); elsewhere the pool.
    pub(crate) batches: Option<Arc<BatchConnection>>,
}

impl Database {
    /// Connects a pool of `max_connections`, and the lookups' connections besides (one on a
    /// SQLite file, one per thread that looks something up on PostgreSQL, opened when first
    /// used), and on a SQLite file the batches' connection; SQLite connections get WAL
    /// journaling, a busy timeout and enforced foreign keys.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let conn = sea_orm::Database::connect(options(url, max_connections))
            .await
            .map_err(backend)?;
        let config = |e: sqlx::Error| StoreError::Backend(e.to_string());
        let (lookups, batches) = match conn.get_database_backend() {
            DbBackend::Sqlite if url.contains(":memory:") || url.contains("mode=memory") => {
                (Lookups::pool(conn.clone()), None)
            }
            DbBackend::Sqlite => {
                let options = sqlite(url.parse::<SqliteConnectOptions>().map_err(config)?);
                let batches = Arc::new(BatchConnection::new(options.clone()));
                (Lookups::sqlite(conn.clone(), options), Some(batches))
            }
            _ => (Lookups::postgres(conn.clone(), url).map_err(config)?, None),
        };
        Ok(Self {
            conn,
            lookups,
            batches,
        })
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

fn options(url: &str, max_connections: u32) -> ConnectOptions {
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
        .map_sqlx_sqlite_opts(sqlite);
    options
}

/// Every SQLite connection, pooled or not: writers wait for the lock instead of failing, readers
/// never block writers, and foreign keys are enforced.
fn sqlite(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
}

/// `ActiveModel::insert` without reading the row back: sea-orm's `insert` asks for every column with
/// `RETURNING` and decodes the row, which the adapters never use.
pub(crate) trait InsertRow: ActiveModelTrait + Send + Sized
where
    <Self::Entity as EntityTrait>::Model: IntoActiveModel<Self>,
{
    fn insert_row<C: ConnectionTrait + Sync>(
        self,
        conn: &C,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async move {
            Self::Entity::insert(self)
                .exec_without_returning(conn)
                .await
                .map(drop)
                .map_err(backend)
        }
    }
}

impl<A> InsertRow for A
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
}

/// Maps an ORM error to the port's error: a database out of reach is unavailable, unique violations
/// are conflicts, the rest backend failures.
pub(crate) fn backend(e: DbErr) -> StoreError {
    if unavailable(&e) {
        return StoreError::Unavailable(e.to_string());
    }
    if let Some(what) = unstorable(&e) {
        return StoreError::Invalid(what.to_owned());
    }
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => {
            StoreError::Conflict(collided(&detail).to_owned())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

/// The driver's error under a failed statement, if sqlx ran it.
pub(crate) fn sqlx_cause(e: &DbErr) -> Option<&sqlx::Error> {
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => {
            Some(cause)
        }
        _ => None,
    }
}

/// What a unique key collided on, in words for an administrator, not the database's message (which
/// names its indexes): PostgreSQL names the index (`uq_users_username`), SQLite the column
/// (`users.username`).
fn collided(detail: &str) -> &'static str {
    let names = |table: &str, column: &str| {
        detail.contains(&format!("uq_{table}_{column}"))
            || detail.contains(&format!("{table}.{column}"))
    };
    if names("users", "username") {
        "a user with this username"
    } else if names("clients", "client_id") {
        "a client with this client_id"
    } else {
        "a row with the same key"
    }
}

/// Whether PostgreSQL ended `e`'s transaction to break a deadlock (40P01) or a serialization
/// conflict (40001): the same work, run again, may well succeed.
pub(crate) fn deadlock_victim(e: &DbErr) -> bool {
    matches!(
        sqlx_cause(e),
        Some(sqlx::Error::Database(db)) if db.code().is_some_and(|code| code == "40P01" || code == "40001")
    )
}

/// What PostgreSQL refused as a value it cannot hold, if it did: text with a NUL character
/// (`character_not_in_repertoire`, 22021) or one its encoding lacks (`untranslatable_character`,
/// 22P05), an instant outside its range (`datetime_field_overflow`, 22008: before 4713 BC) or a
/// number outside its type's (`numeric_value_out_of_range`, 22003). SQLite stores or compares such
/// values as they are.
fn unstorable(e: &DbErr) -> Option<&'static str> {
    let Some(sqlx::Error::Database(db)) = sqlx_cause(e) else {
        return None;
    };
    match db.code()?.as_ref() {
        "22021" | "22P05" => Some("text with a NUL character"),
        "22008" => Some("an instant outside the database's range"),
        "22003" => Some("a number outside the database's range"),
        _ => None,
    }
}

/// Whether `e` says the database cannot be reached or take the work now, rather than that the
/// work is wrong: no connection (refused, lost, none free in the pool), PostgreSQL's
/// connection-exception class (08) and operator-intervention class (57: shutting down, starting
/// up, a statement cancelled), too many connections (53300) or a deadlock or serialization victim
/// (40P01, 40001), or SQLite still busy or locked once its busy timeout is over (SQLITE_BUSY,
/// SQLITE_LOCKED and their extended codes).
fn unavailable(e: &DbErr) -> bool {
    // SQLite's primary result codes (the low byte of an extended one).
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    if matches!(e, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) || deadlock_victim(e) {
        return true;
    }
    let Some(cause) = sqlx_cause(e) else {
        return false;
    };
    match cause {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) if db.try_downcast_ref::<SqliteError>().is_some() => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| [SQLITE_BUSY, SQLITE_LOCKED].contains(&(code & 0xff))),
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57") || code == "53300"
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use uuid::Uuid;
    use valet_core::account::LinkPurpose;
    use valet_core::audit::{Actor, AuditEvent};
    use valet_core::client::ClientId;
    use valet_core::ports::{
        AccountStore, ClientStore, CodeStore, GrantStore, InteractionStore, SecondFactorStore,
        SessionStore, TokenStore, UserStore,
    };
    use valet_core::secret::SecretHash;
    use valet_core::user::{User, Username};

    use super::*;

    /// The lookups of the hot paths (login, code exchange, refresh, userinfo) send no `LIMIT` (on
    /// SQLite a bound `LIMIT` re-prepares the statement at every execution), and go through the
    /// lookups' connection.
    #[test]
    fn a_collision_is_named_in_words_on_either_backend() {
        let postgres = "duplicate key value violates unique constraint \"uq_users_username\"";
        let sqlite = "UNIQUE constraint failed: clients.client_id";
        assert_eq!(collided(postgres), "a user with this username");
        assert_eq!(collided(sqlite), "a client with this client_id");
        assert_eq!(
            collided("UNIQUE constraint failed: sessions.token_hash"),
            "a row with the same key"
        );
    }

    #[tokio::test]
    async fn unique_lookups_send_no_limit() {
        let path = std::env::temp_dir().join(format!("valet-limit-{}.db", Uuid::now_v7()));
        let mut db = Database::connect(&format!("sqlite://{}?mode=rwc", path.display()), 2)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        let pooled = Arc::new(Mutex::new(0_usize));
        let count = Arc::clone(&pooled);
        db.conn.set_metric_callback(move |_| {
            if let Ok(mut count) = count.lock() {
                *count += 1;
            }
        });
        let hash = SecretHash::of(b"nothing");
        let id = Uuid::now_v7();
        let client_id = ClientId::parse("app").unwrap_or_else(|e| panic!("{e}"));
        let found = [
            db.find_client(&client_id).await.map(|f| f.is_some()),
            db.find_client_by_id(id).await.map(|f| f.is_some()),
            db.find_session(&hash).await.map(|f| f.is_some()),
            db.find_session_by_id(id).await.map(|f| f.is_some()),
            db.find_interaction(&hash).await.map(|f| f.is_some()),
            db.find_live_grant(id, id).await.map(|f| f.is_some()),
            db.find_grant(id).await.map(|f| f.is_some()),
            db.find_code(&hash).await.map(|f| f.is_some()),
            db.find_refresh_token(&hash).await.map(|f| f.is_some()),
            db.find_link(&hash, LinkPurpose::ResetPassword)
                .await
                .map(|f| f.is_some()),
            db.mfa(id).await.map(|m| m.enabled()),
            db.find_user_by_email("a@example.com")
                .await
                .map(|f| f.is_some()),
        ];
        assert!(found.iter().all(|f| matches!(f, Ok(false))), "{found:?}");
        let sent = db.lookups.sent();
        assert_eq!(sent.len(), found.len(), "{sent:#?}");
        let limited: Vec<_> = sent.iter().filter(|sql| sql.contains("LIMIT")).collect();
        assert!(limited.is_empty(), "{limited:#?}");
        // All of them through the lookups' own connection, none through the pool.
        assert_eq!(pooled.lock().map(|n| *n).ok(), Some(0));
        drop(db);
        let _ = std::fs::remove_file(path);
    }

    fn ada() -> User {
        let at = chrono::Utc::now();
        User {
            id: Uuid::now_v7(),
            username: Username::parse("ada").unwrap_or_else(|e| panic!("{e}")),
            password_hash: None,
            disabled: false,
            claims: Default::default(),
            roles: Default::default(),
            created_at: at,
            updated_at: at,
            second_factor: false,
        }
    }

    /// An in-memory database exists once per pool, so its lookups go through the pool: what is
    /// written is found.
    #[tokio::test]
    async fn an_in_memory_database_finds_what_it_wrote() {
        let db = Database::connect("sqlite::memory:", 2)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        let user = ada();
        let event = AuditEvent::new(user.created_at, Actor::cli(), "user.created");
        db.insert_user(&user, &event)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let found = db.find_user(&user.username).await;
        assert_eq!(found.ok().flatten().map(|u| u.id), Some(user.id));
    }

    /// On a SQLite file the lookups' connection neither waits for a writer holding the lock nor
    /// sees what it has not committed, and sees it as soon as it has.
    #[tokio::test]
    async fn lookups_read_past_an_open_write_and_see_its_commit() {
        let path = std::env::temp_dir().join(format!("valet-lookups-{}.db", Uuid::now_v7()));
        let db = Database::connect(&format!("sqlite://{}?mode=rwc", path.display()), 2)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        let user = ada();
        let txn = db
            .write_transaction()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        crate::users::insert(&txn, &user)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let during = tokio::time::timeout(Duration::from_secs(2), db.find_user(&user.username))
            .await
            .map(|found| found.map(|u| u.is_some()).ok());
        assert_eq!(
            during,
            Ok(Some(false)),
            "the lookup waited or saw the open write"
        );
        txn.commit().await.unwrap_or_else(|e| panic!("{e}"));
        let after = db.find_user(&user.username).await;
        assert_eq!(after.ok().flatten().map(|u| u.id), Some(user.id));
        drop(db);
        let _ = std::fs::remove_file(path);
    }
}
