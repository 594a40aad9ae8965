//! Case-insensitive prefix and substring matches that behave alike on SQLite and PostgreSQL.
//!
//! Both sides are lowercased (the input here, the column with SQL `LOWER`), because SQLite's `LIKE`
//! folds ASCII only and PostgreSQL's folds nothing; user input is escaped so `%`, `_` and `\` match
//! themselves. SQLite's `LOWER` folds ASCII only, so non-ASCII letters match case-sensitively there.

use sea_orm::ColumnTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};

const ESCAPE: char = '\\';

/// The search text, lowercased; `None` when there is nothing to search for.
pub(super) fn needle(query: Option<&str>) -> Option<String> {
    query
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_lowercase)
}

/// `LOWER(column) LIKE 'needle%'`.
pub(super) fn starts_with(column: impl ColumnTrait, needle: &str) -> Expr {
    like(column, format!("{}%", escape(needle)))
}

/// `LOWER(column) LIKE '%needle%'`.
pub(super) fn contains(column: impl ColumnTrait, needle: &str) -> Expr {
    like(column, format!("%{}%", escape(needle)))
}

fn like(column: impl ColumnTrait, pattern: String) -> Expr {
    Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern).escape(ESCAPE))
}

/// `text` with LIKE's wildcards and the escape character itself escaped.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            escaped.push(ESCAPE);
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_the_escape_character_are_escaped() {
        assert_eq!(escape(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[test]
    fn blank_queries_search_nothing() {
        assert_eq!(needle(Some("  ")), None);
        assert_eq!(needle(Some(" Al ")), Some("al".into()));
    }
}
