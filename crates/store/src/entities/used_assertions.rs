//! Client assertions already used (RFC 7523 §3 item 7), by SHA-256 of client_id and `jti`; a row is
//! only needed until its assertion expires.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "used_assertions")]
pub struct Model {
    /// `valet_core::ports::assertion_key`: hex SHA-256 of client_id, a newline and `jti`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti_hash: String,
    /// After this instant the assertion is no longer accepted, so the row may be deleted.
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
