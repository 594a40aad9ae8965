//! The point lookups of the request paths (a client by its `client_id` or id, a user with its
//! roles, a grant, a session, an authorization code, a refresh token): statements built once per
//! backend, rows read by position.
//!
//! sea-orm builds a statement again for every query (a `Select` naming every column, rendered to
//! SQL) and reads each column of a row by its name, formatting the name first. On a login that
//! was about a quarter of the request thread's time outside argon2 (`bench/RESULTS.md`, run AK):
//! a client row alone has 46 columns. A [`Lookup`] renders its statement the first time it runs
//! on a backend and keeps the SQL; [`Columns`] reads a row's columns in the order its `SELECT`
//! names them, which for an entity's `find()` is the order of its `Model`'s fields. Each entity
//! read this way has a `Model::read` written in that order, and the store's tests check each, with
//! every column set, against sea-orm's reading by name or against what was written
//! (`tests/hot.rs`).

use std::sync::OnceLock;

use sea_orm::sea_query::{SelectStatement, Value};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, TryGetable};

use valet_core::ports::StoreError;

use crate::database::backend;
use crate::lookups::Lookups;

/// A lookup's statement: rendered from `select` once per backend, its values bound at each run.
pub(crate) struct Lookup {
    select: fn() -> SelectStatement,
    postgres: OnceLock<String>,
    sqlite: OnceLock<String>,
}

impl Lookup {
    /// `select` is only rendered, never run: the values it holds stand for the ones each run binds,
    /// in the same order.
    pub(crate) const fn new(select: fn() -> SelectStatement) -> Self {
        Self {
            select,
            postgres: OnceLock::new(),
            sqlite: OnceLock::new(),
        }
    }

    /// The rows the statement finds with `values` bound, read on the lookups' connections.
    pub(crate) async fn rows(
        &self,
        lookups: &Lookups,
        values: Vec<Value>,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let db = lookups.get_database_backend();
        let rendered = match db {
            DbBackend::Postgres => &self.postgres,
            _ => &self.sqlite,
        };
        let sql = rendered.get_or_init(|| db.build(&(self.select)()).sql);
        let statement = Statement::from_sql_and_values(db, sql.as_str(), values);
        lookups.query_all_raw(statement).await
    }

    /// The first row found (the only one, for a lookup by a unique key), read with `read`.
    pub(crate) async fn first<M>(
        &self,
        lookups: &Lookups,
        values: Vec<Value>,
        read: fn(&mut Columns<'_>) -> Result<M, DbErr>,
    ) -> Result<Option<M>, StoreError> {
        let rows = self.rows(lookups, values).await.map_err(backend)?;
        let first = rows.first().map(|row| read(&mut Columns::of(row)));
        first.transpose().map_err(backend)
    }
}

/// A row's columns, read one after the other from the first.
pub(crate) struct Columns<'r> {
    row: &'r QueryResult,
    next: usize,
}

impl<'r> Columns<'r> {
    pub(crate) fn of(row: &'r QueryResult) -> Self {
        Self::after(row, 0)
    }

    /// The columns after the first `skipped`.
    pub(crate) fn after(row: &'r QueryResult, skipped: usize) -> Self {
        Self { row, next: skipped }
    }

    /// The next column's value.
    pub(crate) fn next<T: TryGetable>(&mut self) -> Result<T, DbErr> {
        let value = self.row.try_get_by_index(self.next);
        self.next += 1;
        value
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};

    use super::*;
    use crate::Database;

    #[tokio::test]
    async fn a_lookup_renders_its_statement_once_and_binds_each_runs_values() {
        static SUM: Lookup = Lookup::new(|| Query::select().expr(Expr::val(1).add(2)).to_owned());
        let db = Database::connect("sqlite::memory:", 1)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let sum = |rows: Result<Vec<QueryResult>, DbErr>| {
            let rows = rows.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(rows.len(), 1);
            Columns::of(&rows[0])
                .next::<i32>()
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(
            sum(SUM.rows(&db.lookups, vec![1.into(), 2.into()]).await),
            3
        );
        let rendered = SUM.sqlite.get().cloned();
        assert_eq!(
            sum(SUM.rows(&db.lookups, vec![40.into(), 2.into()]).await),
            42
        );
        assert_eq!(SUM.sqlite.get().cloned(), rendered, "rendered once");
        assert!(SUM.postgres.get().is_none());
    }
}
