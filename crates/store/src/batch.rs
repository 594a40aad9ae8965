//! `BatchStore`: a batch of writes in one round trip and one transaction.
//!
//! - PostgreSQL: one statement, each write but the last in a data-modifying `WITH` clause. A
//!   statement is atomic, and its foreign keys are checked at its end, when a code's session and
//!   grant, written by sibling clauses, exist. PostgreSQL runs the main statement first, and the
//!   clauses that nothing reads after it. Its documentation leaves that order open; the executor
//!   has long worked so, and the deadlock test in `tests/batch.rs` checks it (on PostgreSQL 15),
//!   deadlocking were it the other way round. So a session's insert is made the main statement:
//!   its sub-select locks the account's row (`crate::sessions::insert_session`) before any clause
//!   locks the interaction or the grant. An account change locks that row first too
//!   (`crate::account_change`), so a password change or a disabling and a sign-in never each hold
//!   rows the other waits for. (An administrator deleting a user or client during one of its
//!   batches can still meet it the other way round; PostgreSQL then ends one of the two: nearly
//!   always the deletion, which runs again (`AdminStore::delete_user`, `delete_client`); a batch
//!   it ends is answered as unavailable.)
//! - SQLite, whose `WITH` clauses cannot write: one string of statements between `BEGIN IMMEDIATE`
//!   and `COMMIT`, which sqlx runs in one hand-off to the connection's thread, its `?` parameters
//!   bound in order across the statements. On a SQLite file every batch runs on one connection of
//!   its own ([`BatchConnection`]), on an in-memory database on one taken from the pool; a failed
//!   batch is rolled back there before the connection is used again.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::sea_query::{Alias, CommonTableExpression, SubQueryStatement, Values, WithClause};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, AssertSqlSafe, ConnectOptions as _};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, RuntimeErr, Statement, StatementBuilder};
use sea_query_sqlx::SqlxValues;
use valet_core::ports::{BatchStore, StoreError, Write};

use crate::database::{Database, backend, sqlx_cause};
use crate::{grants, sessions};

fn statements(write: &Write) -> Result<Vec<SubQueryStatement>, StoreError> {
    Ok(match write {
        Write::InsertSession {
            session,
            token_hash,
            checked,
        } => vec![sessions::insert_session(session, token_hash, checked)?.into()],
        Write::DeleteInteraction(id) => vec![sessions::delete_interaction(*id).into()],
        Write::SaveGrant {
            grant,
            session_id,
            at,
        } => grants::save_grant(grant, *session_id, *at),
        Write::InsertCode { code, code_hash } => vec![grants::insert_code(code, code_hash).into()],
    })
}

/// A failed batch's error: `Stale` when a session's sign-in no longer held.
fn batch_error(e: DbErr) -> StoreError {
    if sqlx_cause(&e).is_some_and(sessions::stale_sign_in) {
        StoreError::Stale("the account that signed in".to_owned())
    } else {
        backend(e)
    }
}

fn build(statement: &SubQueryStatement, db: DbBackend) -> Statement {
    match statement {
        SubQueryStatement::SelectStatement(s) => StatementBuilder::build(s, &db),
        SubQueryStatement::InsertStatement(s) => StatementBuilder::build(s, &db),
        SubQueryStatement::UpdateStatement(s) => StatementBuilder::build(s, &db),
        SubQueryStatement::DeleteStatement(s) => StatementBuilder::build(s, &db),
        SubQueryStatement::WithStatement(s) => StatementBuilder::build(s, &db),
    }
}

#[async_trait]
impl BatchStore for Database {
    async fn write_batch(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let db = self.conn.get_database_backend();
        let mut all: Vec<(bool, SubQueryStatement)> = Vec::new();
        for write in &writes {
            let signs_in = matches!(write, Write::InsertSession { .. });
            all.extend(statements(write)?.into_iter().map(|s| (signs_in, s)));
        }
        if db == DbBackend::Postgres {
            // The session's insert last: the main statement, which runs first. (One at most: a
            // second would be a clause, and lock its account late.)
            debug_assert!(all.iter().filter(|(signs_in, _)| *signs_in).count() <= 1);
            all.sort_by_key(|(signs_in, _)| *signs_in);
        }
        let mut all: Vec<SubQueryStatement> = all.into_iter().map(|(_, s)| s).collect();
        let Some(last) = all.pop() else {
            return Ok(());
        };
        if all.is_empty() {
            return self
                .conn
                .execute_raw(build(&last, db))
                .await
                .map(drop)
                .map_err(batch_error);
        }
        match db {
            DbBackend::Postgres => {
                let mut with = WithClause::new();
                for (i, statement) in all.into_iter().enumerate() {
                    with.cte(
                        CommonTableExpression::new()
                            .table_name(Alias::new(format!("write_{i}")))
                            .query(statement)
                            .to_owned(),
                    );
                }
                let query = with.query(last);
                self.conn
                    .execute(&query)
                    .await
                    .map(drop)
                    .map_err(batch_error)
            }
            _ => {
                all.push(last);
                self.sqlite_batch(&all).await
            }
        }
    }
}

impl Database {
    async fn sqlite_batch(&self, all: &[SubQueryStatement]) -> Result<(), StoreError> {
        let mut sql = String::from("BEGIN IMMEDIATE;\n");
        let mut values = Vec::new();
        for statement in all {
            let built = build(statement, DbBackend::Sqlite);
            sql.push_str(&built.sql);
            sql.push_str(";\n");
            values.extend(built.values.map(|v| v.0).unwrap_or_default());
        }
        sql.push_str("COMMIT;");
        let exec_err =
            |e: sqlx::Error| batch_error(DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e))));
        let values = SqlxValues(Values(values));
        if let Some(batches) = &self.batches {
            return batches.run(sql, values).await.map_err(exec_err);
        }
        let mut conn = self
            .conn
            .get_sqlite_connection_pool()
            .acquire()
            .await
            .map_err(exec_err)?;
        run(&mut conn, sql, values).await.map_err(|(e, usable)| {
            if !usable {
                conn.close_on_drop();
            }
            exec_err(e)
        })
    }
}

/// Runs a batch's statements; when they fail, rolls back what they left open. `Err((e, usable))`:
/// `usable` when the connection is known to be out of any transaction again.
async fn run(
    conn: &mut SqliteConnection,
    sql: String,
    values: SqlxValues,
) -> Result<(), (sqlx::Error, bool)> {
    let Err(e) = sqlx::query_with(AssertSqlSafe(sql), values)
        .execute(&mut *conn)
        .await
    else {
        return Ok(());
    };
    // The failed statement left the transaction open, or SQLite rolled it back already (then
    // ROLLBACK fails too, and the connection is usable, but cannot be told apart from one that
    // is not): a connection that may still be in a transaction is not used again.
    let usable = sqlx::query("ROLLBACK").execute(&mut *conn).await.is_ok();
    Err((e, usable))
}

/// The connection every batch on a SQLite file runs on, opened when first needed.
///
/// SQLite empties a connection's page cache when another connection has committed since its
/// last statement, and the pool hands its connections out in turn: a batch on a pooled connection
/// nearly always began by reading again the pages of the tables it writes. On a connection of
/// their own, the batches of the sign-ins commit one after the other and each finds the pages the
/// last one left (only another writer, the token endpoint's or an administrator's, empties them).
/// SQLite lets one connection write at a time anyway, so batches lose nothing by taking turns
/// (each waits for those before it, and then at most the busy timeout for another writer).
/// A batch cancelled half-way (its request dropped) takes the connection with it, and SQLite rolls
/// back what it left open as the connection closes; the next batch opens a new one.
#[derive(Debug)]
pub(crate) struct BatchConnection {
    options: SqliteConnectOptions,
    slot: tokio::sync::Mutex<Option<SqliteConnection>>,
}

impl BatchConnection {
    pub(crate) fn new(options: SqliteConnectOptions) -> Self {
        Self {
            options: options.disable_statement_logging(),
            slot: tokio::sync::Mutex::new(None),
        }
    }

    async fn run(&self, sql: String, values: SqlxValues) -> Result<(), sqlx::Error> {
        let mut slot = self.slot.lock().await;
        let mut conn = match slot.take() {
            Some(conn) => conn,
            None => self.options.connect().await?,
        };
        let result = run(&mut conn, sql, values).await;
        // One that may still be in a transaction is dropped: closing it rolls that back.
        if result
            .as_ref()
            .map_or_else(|(_, usable)| *usable, |()| true)
        {
            *slot = Some(conn);
        }
        result.map_err(|(e, _)| e)
    }
}
