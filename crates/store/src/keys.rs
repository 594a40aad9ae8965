//! `KeyStore` on the `signing_keys` table.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use valet_core::audit::AuditEvent;
use valet_core::keys::{KeyTimes, SealedKey, StoredKey};
use valet_core::ports::{KeyStore, StoreError};

use crate::audit;
use crate::convert::{corrupt, parse_enum};
use crate::database::{Database, InsertRow, backend};
use crate::entities::signing_keys;

fn to_domain(row: signing_keys::Model) -> Result<StoredKey, StoreError> {
    let public_jwk = match row.public_jwk {
        serde_json::Value::Object(map) => map,
        _ => return Err(corrupt("signing_keys.public_jwk", "not a JSON object")),
    };
    Ok(StoredKey {
        id: row.id,
        alg: parse_enum("signing_keys.alg", &row.alg)?,
        kid: row.kid,
        public_jwk,
        sealed: SealedKey {
            ciphertext: row.private_key_ciphertext,
            nonce: row.private_key_nonce,
        },
        created_at: row.created_at,
        times: KeyTimes {
            activates_at: row.activates_at,
            retires_at: row.retires_at,
            expires_at: row.expires_at,
        },
    })
}

fn to_row(key: &StoredKey) -> signing_keys::Model {
    signing_keys::Model {
        id: key.id,
        kid: key.kid.clone(),
        alg: key.alg.as_str().to_owned(),
        public_jwk: serde_json::Value::Object(key.public_jwk.clone()),
        private_key_ciphertext: key.sealed.ciphertext.clone(),
        private_key_nonce: key.sealed.nonce.clone(),
        created_at: key.created_at,
        activates_at: key.times.activates_at,
        retires_at: key.times.retires_at,
        expires_at: key.times.expires_at,
    }
}

#[async_trait]
impl KeyStore for Database {
    async fn list_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        signing_keys::Entity::find()
            .all(&self.conn)
            .await
            .map_err(backend)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    async fn save_keys(
        &self,
        new: &[StoredKey],
        updates: &[(String, KeyTimes)],
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        for (kid, times) in updates {
            let result = signing_keys::Entity::update_many()
                .col_expr(
                    signing_keys::Column::ActivatesAt,
                    Expr::value(times.activates_at),
                )
                .col_expr(
                    signing_keys::Column::RetiresAt,
                    Expr::value(times.retires_at),
                )
                .col_expr(
                    signing_keys::Column::ExpiresAt,
                    Expr::value(times.expires_at),
                )
                .filter(signing_keys::Column::Kid.eq(kid.as_str()))
                .exec(&txn)
                .await
                .map_err(backend)?;
            if result.rows_affected != 1 {
                return Err(StoreError::NotFound(format!("signing key {kid}")));
            }
        }
        for key in new {
            to_row(key).into_active_model().insert_row(&txn).await?;
        }
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }
}
