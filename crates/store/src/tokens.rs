//! `TokenStore` on `refresh_tokens` and `revoked_access_tokens`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryTrait};
use uuid::Uuid;
use valet_core::ports::{StoreError, TokenStore};
use valet_core::refresh::RefreshToken;
use valet_core::secret::SecretHash;

use crate::convert::{parse_list, string_list};
use crate::database::{Database, InsertRow, backend};
use crate::entities::{refresh_tokens, revoked_access_tokens};
use crate::hot::Lookup;

pub(crate) fn refresh_row(
    token: &RefreshToken,
    token_hash: &SecretHash,
) -> refresh_tokens::ActiveModel {
    refresh_tokens::Model {
        id: token.id,
        token_hash: token_hash.as_str().to_owned(),
        chain_id: token.chain_id,
        parent_id: token.parent_id,
        grant_id: token.grant_id,
        client_id: token.client,
        user_id: token.user_id,
        session_id: token.session_id,
        scopes: string_list(token.scopes.iter().map(String::as_str)),
        auth_time: token.auth_time,
        created_at: token.created_at,
        expires_at: token.expires_at,
        idle_expires_at: token.idle_expires_at,
        rotated_at: token.rotated_at,
        revoked_at: token.revoked_at,
    }
    .into_active_model()
}

#[async_trait]
impl TokenStore for Database {
    async fn insert_refresh_token(
        &self,
        token: &RefreshToken,
        token_hash: &SecretHash,
    ) -> Result<(), StoreError> {
        refresh_row(token, token_hash).insert_row(&self.conn).await
    }

    async fn find_refresh_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<RefreshToken>, StoreError> {
        static BY_HASH: Lookup = Lookup::new(|| {
            refresh_tokens::Entity::find()
                .filter(refresh_tokens::Column::TokenHash.eq(""))
                .into_query()
        });
        let values = vec![token_hash.as_str().into()];
        let row = BY_HASH.first(&self.lookups, values, refresh_tokens::Model::read);
        let Some(row) = row.await? else {
            return Ok(None);
        };
        Ok(Some(RefreshToken {
            id: row.id,
            chain_id: row.chain_id,
            parent_id: row.parent_id,
            grant_id: row.grant_id,
            client: row.client_id,
            user_id: row.user_id,
            session_id: row.session_id,
            scopes: parse_list("refresh_tokens.scopes", &row.scopes, |s| Ok(s.to_owned()))?,
            auth_time: row.auth_time,
            created_at: row.created_at,
            expires_at: row.expires_at,
            idle_expires_at: row.idle_expires_at,
            rotated_at: row.rotated_at,
            revoked_at: row.revoked_at,
        }))
    }

    async fn rotate_refresh_token(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        next: &RefreshToken,
        next_hash: &SecretHash,
    ) -> Result<bool, StoreError> {
        // One conditional UPDATE: the database decides which of several concurrent refreshes wins,
        // and only the winner's successor is written, in the same transaction.
        let txn = self.write_transaction().await?;
        let rotated = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(at))
            .filter(refresh_tokens::Column::Id.eq(id))
            .filter(refresh_tokens::Column::RotatedAt.is_null())
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(backend)?;
        if rotated.rows_affected != 1 {
            return Ok(false);
        }
        refresh_row(next, next_hash).insert_row(&txn).await?;
        txn.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn revoke_refresh_chain(
        &self,
        chain_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(at))
            .filter(refresh_tokens::Column::ChainId.eq(chain_id))
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(&self.conn)
            .await
            .map(|r| r.rows_affected)
            .map_err(backend)
    }

    async fn revoke_access_token(
        &self,
        jti: &str,
        grant_id: Option<Uuid>,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if self.is_access_token_revoked(jti).await? {
            return Ok(());
        }
        revoked_access_tokens::Model {
            jti: jti.to_owned(),
            grant_id,
            revoked_at: at,
            expires_at,
        }
        .into_active_model()
        .insert_row(&self.conn)
        .await
        .or_else(|e| match e {
            // Revoked concurrently by someone else: the outcome is the same.
            StoreError::Conflict(_) => Ok(()),
            other => Err(other),
        })
    }

    async fn is_access_token_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let count = revoked_access_tokens::Entity::find()
            .filter(revoked_access_tokens::Column::Jti.eq(jti))
            .count(&self.conn)
            .await
            .map_err(backend)?;
        Ok(count > 0)
    }
}
