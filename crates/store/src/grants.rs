//! `GrantStore` and `CodeStore` on `grants`, `session_grants` and `authorization_codes`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, InsertStatement, OnConflict, SubQueryStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use uuid::Uuid;
use valet_core::code::{AuthorizationCode, Redemption};
use valet_core::grant::Grant;
use valet_core::ports::{BatchStore, CodeStore, GrantStore, Issued, StoreError, Write};
use valet_core::secret::SecretHash;

use crate::convert::{parse_list, string_list};
use crate::database::{Database, InsertRow, backend};
use crate::entities::{authorization_codes, grants, session_grants};
use crate::hot::Lookup;
use crate::tokens::refresh_row;

pub(crate) fn grant_from(row: grants::Model) -> Result<Grant, StoreError> {
    Ok(Grant {
        id: row.id,
        user_id: row.user_id,
        client: row.client_id,
        scopes: parse_list("grants.scopes", &row.scopes, |s| Ok(s.to_owned()))?,
        claims: row.claims,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    })
}

fn code_from(row: authorization_codes::Model) -> Result<AuthorizationCode, StoreError> {
    Ok(AuthorizationCode {
        id: row.id,
        grant_id: row.grant_id,
        client: row.client_id,
        user_id: row.user_id,
        session_id: row.session_id,
        redirect_uri: row.redirect_uri,
        redirect_uri_given: row.redirect_uri_given,
        code_challenge: row.code_challenge,
        nonce: row.nonce,
        scopes: parse_list("authorization_codes.scopes", &row.scopes, |s| {
            Ok(s.to_owned())
        })?,
        claims: row.claims,
        auth_time: row.auth_time,
        amr: parse_list("authorization_codes.amr", &row.amr, |s| Ok(s.to_owned()))?,
        acr: row.acr,
        created_at: row.created_at,
        expires_at: row.expires_at,
        consumed_at: row.consumed_at,
        issued_access_token_jti: row.issued_access_token_jti,
        issued_refresh_chain_id: row.issued_refresh_chain_id,
    })
}

/// The grant, inserted or rewritten, and its binding to the session that used it. Never
/// `revoked_at`: a revocation committed since the caller read the grant as live stays (the code
/// issued from it then fails at the token endpoint).
pub(crate) fn save_grant(
    grant: &Grant,
    session_id: Option<Uuid>,
    at: DateTime<Utc>,
) -> Vec<SubQueryStatement> {
    let row = grants::Model {
        id: grant.id,
        user_id: grant.user_id,
        client_id: grant.client,
        scopes: string_list(grant.scopes.iter().map(String::as_str)),
        claims: grant.claims.clone(),
        created_at: grant.created_at,
        last_used_at: grant.last_used_at,
        revoked_at: grant.revoked_at,
        revoked_by: None,
        revoke_reason: None,
    };
    let upsert = grants::Entity::insert(row.into_active_model())
        .on_conflict(
            OnConflict::column(grants::Column::Id)
                .update_columns([
                    grants::Column::Scopes,
                    grants::Column::Claims,
                    grants::Column::LastUsedAt,
                ])
                .to_owned(),
        )
        .into_query();
    let binding = session_id.map(|session_id| {
        let row = session_grants::Model {
            session_id,
            grant_id: grant.id,
            created_at: at,
        };
        session_grants::Entity::insert(row.into_active_model())
            .on_conflict(
                OnConflict::columns([
                    session_grants::Column::SessionId,
                    session_grants::Column::GrantId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .into_query()
    });
    std::iter::once(upsert)
        .chain(binding)
        .map(Into::into)
        .collect()
}

pub(crate) fn insert_code(code: &AuthorizationCode, code_hash: &SecretHash) -> InsertStatement {
    let row = authorization_codes::Model {
        id: code.id,
        code_hash: code_hash.as_str().to_owned(),
        grant_id: code.grant_id,
        client_id: code.client,
        user_id: code.user_id,
        session_id: code.session_id,
        redirect_uri: code.redirect_uri.clone(),
        code_challenge: code.code_challenge.clone(),
        code_challenge_method: code.code_challenge.as_ref().map(|_| "S256".to_owned()),
        nonce: code.nonce.clone(),
        scopes: string_list(code.scopes.iter().map(String::as_str)),
        claims: code.claims.clone(),
        auth_time: code.auth_time,
        amr: string_list(code.amr.iter().map(String::as_str)),
        acr: code.acr.clone(),
        created_at: code.created_at,
        expires_at: code.expires_at,
        consumed_at: code.consumed_at,
        redirect_uri_given: code.redirect_uri_given,
        issued_access_token_jti: code.issued_access_token_jti.clone(),
        issued_refresh_chain_id: code.issued_refresh_chain_id,
    };
    authorization_codes::Entity::insert(row.into_active_model()).into_query()
}

#[async_trait]
impl GrantStore for Database {
    async fn find_live_grant(
        &self,
        user_id: Uuid,
        client: Uuid,
    ) -> Result<Option<Grant>, StoreError> {
        static LIVE: Lookup = Lookup::new(|| {
            grants::Entity::find()
                .filter(grants::Column::UserId.eq(Uuid::nil()))
                .filter(grants::Column::ClientId.eq(Uuid::nil()))
                .filter(grants::Column::RevokedAt.is_null())
                .order_by_desc(grants::Column::CreatedAt)
                .into_query()
        });
        let values = vec![user_id.into(), client.into()];
        let row = LIVE.first(&self.lookups, values, grants::Model::read);
        row.await?.map(grant_from).transpose()
    }

    async fn find_grant(&self, id: Uuid) -> Result<Option<Grant>, StoreError> {
        static BY_ID: Lookup = Lookup::new(|| grants::Entity::find_by_id(Uuid::nil()).into_query());
        let row = BY_ID.first(&self.lookups, vec![id.into()], grants::Model::read);
        row.await?.map(grant_from).transpose()
    }

    async fn touch_grant(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        grants::Entity::update_many()
            .col_expr(grants::Column::LastUsedAt, Expr::value(at))
            .filter(grants::Column::Id.eq(id))
            .exec(&self.conn)
            .await
            .map(drop)
            .map_err(backend)
    }

    async fn list_grants(
        &self,
        user_id: Option<Uuid>,
        client: Option<Uuid>,
        live_only: bool,
        limit: u64,
    ) -> Result<Vec<Grant>, StoreError> {
        let mut query = grants::Entity::find().order_by_desc(grants::Column::CreatedAt);
        if let Some(user_id) = user_id {
            query = query.filter(grants::Column::UserId.eq(user_id));
        }
        if let Some(client) = client {
            query = query.filter(grants::Column::ClientId.eq(client));
        }
        if live_only {
            query = query.filter(grants::Column::RevokedAt.is_null());
        }
        query
            .limit(limit)
            .all(&self.conn)
            .await
            .map_err(backend)?
            .into_iter()
            .map(grant_from)
            .collect()
    }

    async fn save_grant(
        &self,
        grant: &Grant,
        session_id: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let write = Write::SaveGrant {
            grant: grant.clone(),
            session_id,
            at,
        };
        self.write_batch(vec![write]).await
    }
}

#[async_trait]
impl CodeStore for Database {
    async fn find_code(
        &self,
        code_hash: &SecretHash,
    ) -> Result<Option<AuthorizationCode>, StoreError> {
        static BY_HASH: Lookup = Lookup::new(|| {
            authorization_codes::Entity::find()
                .filter(authorization_codes::Column::CodeHash.eq(""))
                .into_query()
        });
        let values = vec![code_hash.as_str().into()];
        let row = BY_HASH.first(&self.lookups, values, authorization_codes::Model::read);
        row.await?.map(code_from).transpose()
    }

    async fn consume_code(
        &self,
        code_hash: &SecretHash,
        at: DateTime<Utc>,
    ) -> Result<Redemption, StoreError> {
        redeem(&self.conn, code_hash, at, None).await
    }

    async fn redeem_code(
        &self,
        code_hash: &SecretHash,
        at: DateTime<Utc>,
        issued: Issued<'_>,
    ) -> Result<Redemption, StoreError> {
        let txn = self.write_transaction().await?;
        let redemption = redeem(&txn, code_hash, at, Some(issued)).await?;
        if let (Redemption::Fresh(_), Some((token, hash))) = (&redemption, issued.refresh) {
            refresh_row(token, hash).insert_row(&txn).await?;
        }
        txn.commit().await.map_err(backend)?;
        Ok(redemption)
    }
}

/// Consumes the code if it was not, recording what was `issued`, and reads it back. One conditional
/// UPDATE: the database decides which of several concurrent redemptions wins.
async fn redeem(
    conn: &impl ConnectionTrait,
    code_hash: &SecretHash,
    at: DateTime<Utc>,
    issued: Option<Issued<'_>>,
) -> Result<Redemption, StoreError> {
    let mut claim = authorization_codes::Entity::update_many()
        .col_expr(authorization_codes::Column::ConsumedAt, Expr::value(at));
    if let Some(issued) = issued {
        claim = claim
            .col_expr(
                authorization_codes::Column::IssuedAccessTokenJti,
                Expr::value(issued.access_token_jti),
            )
            .col_expr(
                authorization_codes::Column::IssuedRefreshChainId,
                Expr::value(issued.refresh.map(|(token, _)| token.chain_id)),
            );
    }
    let claimed = claim
        .filter(authorization_codes::Column::CodeHash.eq(code_hash.as_str()))
        .filter(authorization_codes::Column::ConsumedAt.is_null())
        .exec(conn)
        .await
        .map_err(backend)?
        .rows_affected
        == 1;
    let row = authorization_codes::Entity::find()
        .filter(authorization_codes::Column::CodeHash.eq(code_hash.as_str()))
        .all(conn)
        .await
        .map_err(backend)?
        .into_iter()
        .next();
    Ok(match (row, claimed) {
        (Some(row), true) => Redemption::Fresh(code_from(row)?),
        (Some(row), false) => Redemption::Replayed(code_from(row)?),
        (None, _) => Redemption::Unknown,
    })
}
