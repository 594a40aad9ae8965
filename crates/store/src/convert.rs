//! Row ⇄ domain conversions shared by the adapters. A stored value that no longer parses is reported as
//! a backend error naming the column, never a panic.

use std::str::FromStr;

use sea_orm::prelude::Json;
use valet_core::ports::StoreError;

pub(crate) fn corrupt(column: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("unreadable value in column `{column}`: {detail}"))
}

/// A JSON array of strings, parsed element by element.
pub(crate) fn parse_list<T>(
    column: &str,
    json: &Json,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, StoreError> {
    let items = json
        .as_array()
        .ok_or_else(|| corrupt(column, "not a JSON array"))?;
    items
        .iter()
        .map(|item| {
            item.as_str()
                .ok_or_else(|| corrupt(column, "not a string"))
                .and_then(|s| parse(s).map_err(|e| corrupt(column, e)))
        })
        .collect()
}

pub(crate) fn parse_enum<T: FromStr>(column: &str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| corrupt(column, e))
}

pub(crate) fn parse_opt_enum<T: FromStr>(
    column: &str,
    text: Option<&str>,
) -> Result<Option<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.map(|t| parse_enum(column, t)).transpose()
}

pub(crate) fn string_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Json {
    Json::Array(
        items
            .into_iter()
            .map(|s| Json::String(s.to_owned()))
            .collect(),
    )
}
