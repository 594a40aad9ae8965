//! `SessionStore` and `InteractionStore` on `sessions` and `interactions`.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{DeleteStatement, Expr, InsertStatement, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Iterable, ModelTrait, QueryFilter,
    QueryTrait,
};
use serde_json::json;
use uuid::Uuid;
use valet_core::client::Client;
use valet_core::interaction::{Interaction, Keeping, Stage};
use valet_core::ports::{InteractionStore, SessionStore, StoreError};
use valet_core::secret::SecretHash;
use valet_core::session::{Session, SignInCheck};

use crate::convert::{corrupt, parse_list, string_list};
use crate::database::{Database, backend};
use crate::entities::{clients, grants, interactions, session_grants, sessions, users};
use crate::hot::Lookup;
use crate::users::credentials_match;

pub(crate) fn session_from(row: sessions::Model) -> Result<Session, StoreError> {
    Ok(Session {
        id: row.id,
        user_id: row.user_id,
        auth_time: row.auth_time,
        amr: parse_list("sessions.amr", &row.amr, |s| Ok(s.to_owned()))?,
        acr: row.acr,
        ip: row.ip,
        user_agent: row.user_agent,
        created_at: row.created_at,
        last_seen_at: row.last_seen_at,
        expires_at: row.expires_at,
        ended_at: row.ended_at,
    })
}

fn interaction_from(row: interactions::Model) -> Result<Interaction, StoreError> {
    let params: BTreeMap<String, String> = serde_json::from_value(row.request["params"].clone())
        .map_err(|e| corrupt("interactions.request", e))?;
    let csrf = row.request["csrf"]
        .as_str()
        .ok_or_else(|| corrupt("interactions.request", "no csrf"))?
        .to_owned();
    Ok(Interaction {
        id: row.id,
        client: row.client_id,
        params,
        stage: Stage::parse(&row.stage).ok_or_else(|| corrupt("interactions.stage", &row.stage))?,
        session_id: row.session_id,
        user_id: row.user_id,
        csrf,
        created_at: row.created_at,
        expires_at: row.expires_at,
        keeping: Keeping::Stored,
    })
}

fn interaction_row(interaction: &Interaction, handle_hash: String) -> interactions::Model {
    interactions::Model {
        id: interaction.id,
        handle_hash,
        client_id: interaction.client,
        request: json!({ "params": interaction.params, "csrf": interaction.csrf }),
        session_id: interaction.session_id,
        user_id: interaction.user_id,
        stage: interaction.stage.as_str().to_owned(),
        created_at: interaction.created_at,
        expires_at: interaction.expires_at,
    }
}

/// The session's insert, conditional on what its sign-in checked (`SignInCheck`): its `user_id`
/// is a sub-select of the user's row that finds it only while the account is enabled, has the
/// checked password hash and (when one is named) the interaction still exists. When it no longer
/// holds, the sub-select is NULL, the NOT NULL column refuses the row and the batch fails as a
/// whole (`stale_sign_in` tells that failure apart). On PostgreSQL the sub-select locks the user's
/// row (`FOR SHARE`): a password change or a disabling that updated the row first is waited for
/// and seen, and one that comes after waits for this batch and then ends the session with the
/// others; SQLite runs one write transaction at a time, so the check is never out of date there.
pub(crate) fn insert_session(
    session: &Session,
    token_hash: &SecretHash,
    checked: &SignInCheck,
) -> Result<InsertStatement, StoreError> {
    let mut user = Query::select();
    user.column(users::Column::Id)
        .from(users::Entity)
        .cond_where(credentials_match(
            session.user_id,
            checked.password_hash.as_ref(),
        ))
        .lock_shared();
    if let Some(interaction) = checked.interaction {
        user.and_where(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(interactions::Entity)
                .and_where(interactions::Column::Id.eq(interaction))
                .to_owned(),
        ));
    }
    let row = sessions::Model {
        id: session.id,
        token_hash: token_hash.as_str().to_owned(),
        user_id: session.user_id,
        auth_time: session.auth_time,
        amr: string_list(session.amr.iter().map(String::as_str)),
        acr: session.acr.clone(),
        ip: session.ip.clone(),
        user_agent: session.user_agent.clone(),
        created_at: session.created_at,
        last_seen_at: session.last_seen_at,
        expires_at: session.expires_at,
        ended_at: session.ended_at,
        end_reason: None,
    };
    // Every column of the row, but `user_id` the sub-select's.
    let user_id = Expr::SubQuery(None, Box::new(user.into()));
    let values: Vec<Expr> = sessions::Column::iter()
        .map(|column| match column {
            sessions::Column::UserId => user_id.clone(),
            _ => Expr::val(row.get(column)),
        })
        .collect();
    let mut insert = Query::insert();
    insert
        .into_table(sessions::Entity)
        .columns(sessions::Column::iter())
        .values(values)
        .map_err(|e| StoreError::Backend(format!("sessions insert: {e}")))?;
    Ok(insert)
}

/// Whether a batch failed because a session's sign-in no longer held (`insert_session`): the NOT
/// NULL violation of its `sessions.user_id`.
pub(crate) fn stale_sign_in(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::error::ErrorKind;
    use sea_orm::sqlx::postgres::PgDatabaseError;
    let Some(e) = e.as_database_error() else {
        return false;
    };
    if e.kind() != ErrorKind::NotNullViolation {
        return false;
    }
    match e.try_downcast_ref::<PgDatabaseError>() {
        Some(pg) => pg.table() == Some("sessions") && pg.column() == Some("user_id"),
        // SQLite names the column in its message only.
        None => e.message().ends_with("sessions.user_id"),
    }
}

pub(crate) fn delete_interaction(id: Uuid) -> DeleteStatement {
    interactions::Entity::delete_by_id(id).into_query()
}

#[async_trait]
impl SessionStore for Database {
    async fn find_session(&self, token_hash: &SecretHash) -> Result<Option<Session>, StoreError> {
        static BY_HASH: Lookup = Lookup::new(|| {
            sessions::Entity::find()
                .filter(sessions::Column::TokenHash.eq(""))
                .into_query()
        });
        let values = vec![token_hash.as_str().into()];
        let row = BY_HASH.first(&self.lookups, values, sessions::Model::read);
        row.await?.map(session_from).transpose()
    }

    async fn find_session_by_id(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        static BY_ID: Lookup =
            Lookup::new(|| sessions::Entity::find_by_id(Uuid::nil()).into_query());
        let row = BY_ID.first(&self.lookups, vec![id.into()], sessions::Model::read);
        row.await?.map(session_from).transpose()
    }

    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::LastSeenAt, Expr::value(at))
            .filter(sessions::Column::Id.eq(id))
            .exec(&self.conn)
            .await
            .map(drop)
            .map_err(backend)
    }

    async fn session_clients(&self, session_id: Uuid) -> Result<Vec<Client>, StoreError> {
        let held = session_grants::Entity::find()
            .filter(session_grants::Column::SessionId.eq(session_id))
            .find_also_related(grants::Entity)
            .all(&self.conn)
            .await
            .map_err(backend)?;
        let ids: BTreeSet<Uuid> = held
            .into_iter()
            .filter_map(|(_, grant)| grant.map(|g| g.client_id))
            .collect();
        clients::Entity::find()
            .filter(clients::Column::Id.is_in(ids))
            .all(&self.conn)
            .await
            .map_err(backend)?
            .into_iter()
            .map(crate::clients::to_domain)
            .collect()
    }

    async fn end_session(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), StoreError> {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::EndedAt, Expr::value(at))
            .col_expr(sessions::Column::EndReason, Expr::value(reason))
            .filter(sessions::Column::Id.eq(id))
            .filter(sessions::Column::EndedAt.is_null())
            .exec(&self.conn)
            .await
            .map(drop)
            .map_err(backend)
    }
}

#[async_trait]
impl InteractionStore for Database {
    async fn insert_interaction(
        &self,
        interaction: &Interaction,
        handle_hash: &SecretHash,
    ) -> Result<(), StoreError> {
        // Its id is stored already when a sealed login page was posted again after it moved on:
        // it moves on again.
        interactions::Entity::insert(
            interaction_row(interaction, handle_hash.as_str().to_owned()).into_active_model(),
        )
        .on_conflict(
            OnConflict::column(interactions::Column::Id)
                .update_columns([
                    interactions::Column::Stage,
                    interactions::Column::SessionId,
                    interactions::Column::UserId,
                ])
                .to_owned(),
        )
        .exec_without_returning(&self.conn)
        .await
        .map(drop)
        .map_err(backend)
    }

    async fn find_interaction(
        &self,
        handle_hash: &SecretHash,
    ) -> Result<Option<(Interaction, Client)>, StoreError> {
        let found = interactions::Entity::find()
            .filter(interactions::Column::HandleHash.eq(handle_hash.as_str()))
            .find_also_related(clients::Entity)
            .all(&self.lookups)
            .await
            .map_err(backend)?
            .into_iter()
            .next();
        match found {
            Some((row, Some(client))) => Ok(Some((
                interaction_from(row)?,
                crate::clients::to_domain(client)?,
            ))),
            _ => Ok(None),
        }
    }

    async fn update_interaction(&self, interaction: &Interaction) -> Result<(), StoreError> {
        let result = interactions::Entity::update_many()
            .col_expr(
                interactions::Column::Stage,
                Expr::value(interaction.stage.as_str()),
            )
            .col_expr(
                interactions::Column::SessionId,
                Expr::value(interaction.session_id),
            )
            .col_expr(
                interactions::Column::UserId,
                Expr::value(interaction.user_id),
            )
            .filter(interactions::Column::Id.eq(interaction.id))
            .exec(&self.conn)
            .await
            .map_err(backend)?;
        if result.rows_affected == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!(
                "interaction {}",
                interaction.id
            )))
        }
    }

    async fn delete_interaction(&self, id: Uuid) -> Result<(), StoreError> {
        self.conn
            .execute(&delete_interaction(id))
            .await
            .map(drop)
            .map_err(backend)
    }
}
