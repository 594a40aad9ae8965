//! Building blocks shared by the table modules: column shorthands and the constraint naming scheme.

use sea_orm_migration::{prelude::*, schema::*};

/// A UTC instant (`timestamp with time zone`), required.
pub(super) fn ts(col: &'static str) -> ColumnDef {
    timestamp_with_time_zone(col)
}

/// A UTC instant (`timestamp with time zone`), nullable.
pub(super) fn ts_null(col: &'static str) -> ColumnDef {
    timestamp_with_time_zone_null(col)
}

/// A required boolean with a default, so rows written before a flag existed stay valid.
pub(super) fn flag(col: &'static str, default: bool) -> ColumnDef {
    boolean(col).default(default).take()
}

/// `fk_<table>_<col>` referencing `<parent>.id`. The column must also lead an index (`index(table,
/// &[col])` unless a primary key or composite index already starts with it).
pub(super) fn fk(
    table: &'static str,
    col: &'static str,
    parent: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(parent, "id")
        .on_delete(on_delete)
        .to_owned()
}

/// `idx_<table>_<cols>`.
pub(super) fn index(table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("idx_{table}_{}", cols.join("_")))
        .table(table);
    for col in cols {
        index.col(*col);
    }
    index
}

/// `uq_<table>_<cols>`: a unique index, named so constraint violations say what collided.
pub(super) fn unique(table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = index(table, cols);
    index
        .name(format!("uq_{table}_{}", cols.join("_")))
        .unique();
    index
}
