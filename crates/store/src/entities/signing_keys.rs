//! JWS signing keys (RFC 7517 public JWK, encrypted private key) with their rotation schedule.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub kid: String,
    pub alg: String,
    pub public_jwk: Json,
    /// The private key sealed with the configured key-encryption key; never stored in clear.
    #[sea_orm(column_type = "Blob")]
    pub private_key_ciphertext: Vec<u8>,
    #[sea_orm(column_type = "Blob")]
    pub private_key_nonce: Vec<u8>,
    pub created_at: DateTimeUtc,
    /// Published in the JWKS before this instant, used for signing from it on.
    pub activates_at: DateTimeUtc,
    /// No longer used for signing after this instant, still published for verification.
    pub retires_at: DateTimeUtc,
    /// Removed from the JWKS after this instant.
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
