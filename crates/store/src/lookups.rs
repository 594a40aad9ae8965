//! `Lookups`: where the point lookups of the request paths read, on connections of their own
//! outside sqlx's pool.
//!
//! sqlx's pool tests every connection as it comes back: one more round trip to PostgreSQL (a
//! `Sync` and its `ReadyForQuery`), or one more hand-off to a SQLite connection's thread and back,
//! after every statement. These connections are held by Valet itself and never tested that way.
//! A connection is taken out of its slot while a lookup runs and put back only when the lookup has
//! finished: a lookup cancelled half-way (its request dropped) drops its connection with it, so no
//! connection is left in the middle of an exchange for the next lookup. A lookup that finds its
//! connection broken (a restarted database, a cut socket) reads again once on a new one; reads are
//! safe to repeat. Statements that write are never sent here: they go to the pool.
//!
//! - On PostgreSQL: a connection for each thread that looks something up (each actix worker, the
//!   main thread), opened there when first needed. A socket is driven by the runtime it was
//!   opened on: one opened by the main thread at start-up and read from a worker woke the main
//!   thread at every answer, to wake the worker in turn. The lookups of one thread take turns
//!   on its connection. A thread that ends leaves its connection open until the `Database` is
//!   dropped; actix's workers and the main thread live as long as the server.
//! - On a SQLite file: one connection, whose own thread does the reading. SQLite empties a
//!   connection's page cache when another connection has committed since its last read, and the
//!   pool hands its connections out in turn, so a lookup through the pool nearly always found its
//!   connection's cache emptied and read its pages again. One connection serves every lookup (each
//!   takes microseconds) and keeps its cache from one to the next unless a commit came in between.
//! - On an in-memory SQLite database, which exists once per pool: the pool itself.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sea_query::Values;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, AssertSqlSafe, ConnectOptions as _};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Mutex;

/// How long opening a lookups' connection may take, as for the pool's.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The point lookups' connection: connections of its own for reads, the pool for anything else.
/// Cheap to clone.
#[derive(Clone)]
pub(crate) struct Lookups {
    pool: DatabaseConnection,
    own: Option<Arc<Own>>,
}

struct Own {
    options: Options,
    /// Whether each thread has a connection of its own (PostgreSQL), or all share one (SQLite).
    per_thread: bool,
    /// The connections, by thread (`None` when shared). A slot is empty until first used, and
    /// again after the connection in it broke or its lookup was cancelled.
    slots: std::sync::Mutex<HashMap<Option<ThreadId>, Slot>>,
    /// The statements read here, for the tests that check where lookups go and what they send.
    #[cfg(test)]
    sent: std::sync::Mutex<Vec<String>>,
}

type Slot = Arc<Mutex<Option<Connection>>>;

enum Options {
    Postgres(PgConnectOptions),
    Sqlite(SqliteConnectOptions),
}

enum Connection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl Lookups {
    /// Lookups through the pool itself (an in-memory SQLite database).
    pub(crate) fn pool(pool: DatabaseConnection) -> Self {
        Self { pool, own: None }
    }

    /// Lookups on one connection of their own to a SQLite file, opened with `options`.
    pub(crate) fn sqlite(pool: DatabaseConnection, options: SqliteConnectOptions) -> Self {
        let options = Options::Sqlite(options.disable_statement_logging());
        Self::own(pool, options, false)
    }

    /// Lookups on connections of their own, one per thread, to the PostgreSQL server of `url`.
    pub(crate) fn postgres(pool: DatabaseConnection, url: &str) -> Result<Self, sqlx::Error> {
        let options = url.parse::<PgConnectOptions>()?.disable_statement_logging();
        Ok(Self::own(pool, Options::Postgres(options), true))
    }

    fn own(pool: DatabaseConnection, options: Options, per_thread: bool) -> Self {
        let own = Own {
            options,
            per_thread,
            slots: Default::default(),
            #[cfg(test)]
            sent: std::sync::Mutex::new(Vec::new()),
        };
        Self {
            pool,
            own: Some(Arc::new(own)),
        }
    }

    /// The statements read on the lookups' own connections so far (none when they use the pool).
    #[cfg(test)]
    pub(crate) fn sent(&self) -> Vec<String> {
        self.own
            .as_ref()
            .and_then(|own| own.sent.lock().ok().map(|sent| sent.clone()))
            .unwrap_or_default()
    }
}

impl Own {
    /// `stmt`'s rows, on this thread's connection (opened, or opened again when broken); a
    /// connection that cannot be opened is `DbErr::Conn`, the statement's own failure `Query`.
    async fn fetch_all(&self, stmt: &Statement) -> Result<Vec<QueryResult>, DbErr> {
        #[cfg(test)]
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(stmt.sql.clone());
        }
        let slot = self.slot();
        let mut slot = slot.lock().await;
        let (mut conn, reused) = match slot.take() {
            Some(conn) => (conn, true),
            None => (self.options.connect().await.map_err(conn_err)?, false),
        };
        let mut rows = conn.fetch_all(stmt).await;
        if reused && rows.as_ref().is_err_and(broken) {
            conn = self.options.connect().await.map_err(conn_err)?;
            rows = conn.fetch_all(stmt).await;
        }
        if !rows.as_ref().is_err_and(broken) {
            *slot = Some(conn);
        }
        rows.map_err(query_err)
    }

    /// This thread's slot, or the shared one.
    fn slot(&self) -> Slot {
        let key = self.per_thread.then(|| thread::current().id());
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(slots.entry(key).or_default())
    }
}

impl Options {
    async fn connect(&self) -> Result<Connection, sqlx::Error> {
        let connecting = async {
            match self {
                Options::Postgres(options) => options.connect().await.map(Connection::Postgres),
                Options::Sqlite(options) => options.connect().await.map(Connection::Sqlite),
            }
        };
        tokio::time::timeout(CONNECT_TIMEOUT, connecting)
            .await
            .unwrap_or_else(|_| {
                Err(sqlx::Error::Io(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "opening a lookups' connection timed out",
                )))
            })
    }
}

impl Connection {
    async fn fetch_all(&mut self, stmt: &Statement) -> Result<Vec<QueryResult>, sqlx::Error> {
        let sql = AssertSqlSafe(stmt.sql.as_str());
        let values = SqlxValues(stmt.values.clone().unwrap_or(Values(Vec::new())));
        Ok(match self {
            Connection::Postgres(conn) => sqlx::query_with(sql, values)
                .fetch_all(conn)
                .await?
                .into_iter()
                .map(QueryResult::from)
                .collect(),
            Connection::Sqlite(conn) => sqlx::query_with(sql, values)
                .fetch_all(conn)
                .await?
                .into_iter()
                .map(QueryResult::from)
                .collect(),
        })
    }
}

/// Whether the error says the connection itself is unusable, rather than the statement wrong.
fn broken(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL's class 57, operator intervention: the server is shutting down or ended
        // this backend.
        sqlx::Error::Database(e) => e.code().is_some_and(|code| code.starts_with("57")),
        _ => false,
    }
}

fn query_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

fn conn_err(e: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))
}

#[async_trait]
impl ConnectionTrait for Lookups {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    /// Writes go to the pool.
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.pool.execute_raw(stmt).await
    }

    /// Writes go to the pool.
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.pool.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        Ok(self.query_all_raw(stmt).await?.into_iter().next())
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.own {
            Some(own) => own.fetch_all(&stmt).await,
            None => self.pool.query_all_raw(stmt).await,
        }
    }
}

impl fmt::Debug for Lookups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_thread = self.own.as_ref().map(|own| own.per_thread);
        f.debug_struct("Lookups")
            .field("backend", &self.get_database_backend())
            .field("own_connections_per_thread", &per_thread)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use uuid::Uuid;

    use super::*;

    const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

    async fn postgres() -> Lookups {
        let pool = sea_orm::Database::connect(POSTGRES)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Lookups::postgres(pool, POSTGRES).unwrap_or_else(|e| panic!("{e}"))
    }

    async fn read<T: sea_orm::TryGetable>(
        conn: &impl ConnectionTrait,
        sql: &str,
        column: &str,
    ) -> T {
        let stmt = Statement::from_string(conn.get_database_backend(), sql);
        let rows = conn
            .query_all_raw(stmt)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let row = rows.first().unwrap_or_else(|| panic!("{sql}: no row"));
        row.try_get("", column)
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
    }

    async fn pid(lookups: &Lookups) -> i32 {
        read(lookups, "SELECT pg_backend_pid() AS pid", "pid").await
    }

    /// A lookup whose connection the server ended reads again on a new one, and the caller never
    /// sees the broken connection.
    #[tokio::test]
    async fn a_broken_connection_is_replaced_and_the_lookup_read_again() {
        let lookups = postgres().await;
        let first = pid(&lookups).await;
        let ended: bool = read(
            &lookups.pool,
            &format!("SELECT pg_terminate_backend({first}) AS ended"),
            "ended",
        )
        .await;
        assert!(ended);
        let second = pid(&lookups).await;
        assert_ne!(first, second);
        assert_eq!(pid(&lookups).await, second, "the new connection is kept");
    }

    /// A lookup dropped half-way (its request cancelled) takes its connection with it: the next
    /// lookup does not wait for the abandoned statement, nor read its answer.
    #[tokio::test]
    async fn a_cancelled_lookup_leaves_no_connection_in_mid_exchange() {
        let lookups = postgres().await;
        let before = pid(&lookups).await;
        let slow = read::<String>(&lookups, "SELECT pg_sleep(2)::text AS slept", "slept");
        assert!(
            tokio::time::timeout(Duration::from_millis(100), slow)
                .await
                .is_err()
        );
        let started = Instant::now();
        let one: i32 = read(&lookups, "SELECT 1 AS one", "one").await;
        assert_eq!(one, 1);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "waited for the sleep"
        );
        assert_ne!(pid(&lookups).await, before);
    }

    /// Each thread reads on a connection of its own, opened there; the lookups of one thread
    /// take turns on it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_thread_reads_on_a_connection_of_its_own() {
        let lookups = postgres().await;
        let on_a_thread = |lookups: Lookups| {
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap_or_else(|e| panic!("{e}"));
                runtime.block_on(async {
                    let slow = read::<i32>(
                        &lookups,
                        "SELECT pg_backend_pid() AS pid FROM pg_sleep(0.2)",
                        "pid",
                    );
                    let (slow, quick) = tokio::join!(slow, pid(&lookups));
                    assert_eq!(slow, quick, "one connection per thread");
                    slow
                })
            })
        };
        let (a, b) = (on_a_thread(lookups.clone()), on_a_thread(lookups.clone()));
        let (a, b) = (a.join(), b.join());
        assert!(matches!((a, b), (Ok(a), Ok(b)) if a != b));
    }

    /// The SQLite file's connection is set up as the pool's are.
    #[tokio::test]
    async fn the_sqlite_connection_is_set_up_as_the_pools() {
        let path = std::env::temp_dir().join(format!("valet-lookups-{}.db", Uuid::now_v7()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = crate::Database::connect(&url, 2)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let lookups = &db.lookups;
        let mode: String = read(lookups, "PRAGMA journal_mode", "journal_mode").await;
        let keys: i32 = read(lookups, "PRAGMA foreign_keys", "foreign_keys").await;
        let timeout: i32 = read(lookups, "PRAGMA busy_timeout", "timeout").await;
        assert_eq!((mode.as_str(), keys, timeout), ("wal", 1, 5000));
        assert_eq!(lookups.sent().len(), 3);
        drop(db);
        let _ = std::fs::remove_file(path);
    }
}
