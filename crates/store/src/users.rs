//! `UserStore` on `users` and `user_roles`.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query, Value};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;
use valet_core::account::MfaState;
use valet_core::audit::AuditEvent;
use valet_core::password::PasswordHash;
use valet_core::ports::{StoreError, UserStore};
use valet_core::user::{Address, StandardClaims, User, Username, email_key};

use crate::audit;
use crate::convert::corrupt;
use crate::database::{Database, InsertRow, backend};
use crate::entities::{user_roles, users};
use crate::hot::{Columns, Lookup};
use crate::lookups::Lookups;

fn to_domain(row: users::Model, roles: BTreeSet<String>) -> Result<User, StoreError> {
    let address: Option<Address> = row
        .address
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| corrupt("users.address", e))?;
    Ok(User {
        id: row.id,
        username: Username::parse(&row.username).map_err(|e| corrupt("users.username", e))?,
        password_hash: row
            .password_hash
            .as_deref()
            .map(PasswordHash::parse)
            .transpose()
            .map_err(|e| corrupt("users.password_hash", e))?,
        disabled: row.disabled,
        claims: StandardClaims {
            name: row.name,
            given_name: row.given_name,
            family_name: row.family_name,
            middle_name: row.middle_name,
            nickname: row.nickname,
            preferred_username: row.preferred_username,
            profile: row.profile,
            picture: row.picture,
            website: row.website,
            email: row.email,
            email_verified: row.email_verified,
            gender: row.gender,
            birthdate: row.birthdate,
            zoneinfo: row.zoneinfo,
            locale: row.locale,
            phone_number: row.phone_number,
            phone_number_verified: row.phone_number_verified,
            address,
        },
        roles,
        created_at: row.created_at,
        updated_at: row.updated_at,
        second_factor: MfaState::is_on(row.totp_confirmed_at, row.totp_secret_sealed.as_deref()),
    })
}

/// The user `user_id`, enabled, with the password hash `hash` (none for `None`): what a sign-in
/// that verified `hash` needs to still hold (`credentials_hold`, and the session insert's check in
/// `crate::sessions`).
pub(crate) fn credentials_match(user_id: Uuid, hash: Option<&PasswordHash>) -> Condition {
    Condition::all()
        .add(users::Column::Id.eq(user_id))
        .add(users::Column::Disabled.eq(false))
        .add(match hash {
            Some(hash) => users::Column::PasswordHash.eq(hash.as_str()),
            None => users::Column::PasswordHash.is_null(),
        })
}

pub(crate) fn to_row(user: &User) -> Result<users::Model, StoreError> {
    let c = user.claims.clone();
    let address = c
        .address
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(users::Model {
        id: user.id,
        username: user.username.as_str().to_owned(),
        password_hash: user.password_hash.as_ref().map(|h| h.as_str().to_owned()),
        disabled: user.disabled,
        name: c.name,
        given_name: c.given_name,
        family_name: c.family_name,
        middle_name: c.middle_name,
        nickname: c.nickname,
        preferred_username: c.preferred_username,
        profile: c.profile,
        picture: c.picture,
        website: c.website,
        email_key: c.email.as_deref().map(email_key),
        email: c.email,
        email_verified: c.email_verified,
        gender: c.gender,
        birthdate: c.birthdate,
        zoneinfo: c.zoneinfo,
        locale: c.locale,
        phone_number: c.phone_number,
        phone_number_verified: c.phone_number_verified,
        address,
        created_at: user.created_at,
        updated_at: user.updated_at,
        totp_secret_sealed: None,
        totp_confirmed_at: None,
        totp_last_step: None,
    })
}

async fn roles_of(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<BTreeMap<Uuid, BTreeSet<String>>, StoreError> {
    let rows = user_roles::Entity::find()
        .filter(user_roles::Column::UserId.is_in(ids.iter().copied()))
        .all(conn)
        .await
        .map_err(backend)?;
    let mut roles: BTreeMap<Uuid, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        roles.entry(row.user_id).or_default().insert(row.role);
    }
    Ok(roles)
}

/// The user `lookup` finds by the key bound to it (at most one), with its roles, in one query:
/// the user's columns, then those of its `user_roles` rows (a left join, a row per role).
async fn one_with_roles(
    lookups: &Lookups,
    lookup: &Lookup,
    key: Value,
) -> Result<Option<User>, StoreError> {
    let rows = lookup.rows(lookups, vec![key]).await.map_err(backend)?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let row = users::Model::read(&mut Columns::of(first)).map_err(backend)?;
    // Each row's role follows the user's columns and the role's own `user_id`.
    let role_column = users::Column::iter().count() + 1;
    let mut roles = BTreeSet::new();
    for row in &rows {
        let role: Option<String> = Columns::after(row, role_column).next().map_err(backend)?;
        roles.extend(role);
    }
    to_domain(row, roles).map(Some)
}

/// One user row, with its roles.
async fn with_roles(conn: &impl ConnectionTrait, row: users::Model) -> Result<User, StoreError> {
    let own = roles_of(conn, &[row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    to_domain(row, own)
}

/// User rows, in their order, with their roles (one query for all the roles).
pub(crate) async fn all_with_roles(
    conn: &impl ConnectionTrait,
    rows: Vec<users::Model>,
) -> Result<Vec<User>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut roles = roles_of(conn, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let own = roles.remove(&row.id).unwrap_or_default();
            to_domain(row, own)
        })
        .collect()
}

/// Inserts a user row and its roles.
pub(crate) async fn insert(conn: &impl ConnectionTrait, user: &User) -> Result<(), StoreError> {
    to_row(user)?.into_active_model().insert_row(conn).await?;
    insert_roles(conn, user).await
}

/// Rewrites a user row and replaces its roles.
pub(crate) async fn replace(conn: &impl ConnectionTrait, user: &User) -> Result<(), StoreError> {
    let mut row = to_row(user)?.into_active_model().reset_all();
    // The second factor changes only through `SecondFactorStore`, never by rewriting the profile.
    row.totp_secret_sealed = sea_orm::ActiveValue::NotSet;
    row.totp_confirmed_at = sea_orm::ActiveValue::NotSet;
    row.totp_last_step = sea_orm::ActiveValue::NotSet;
    row.update(conn).await.map_err(backend)?;
    replace_roles(conn, user).await
}

/// Replaces a user's `user_roles` rows with `user.roles`.
pub(crate) async fn replace_roles(
    conn: &impl ConnectionTrait,
    user: &User,
) -> Result<(), StoreError> {
    user_roles::Entity::delete_many()
        .filter(user_roles::Column::UserId.eq(user.id))
        .exec(conn)
        .await
        .map_err(backend)?;
    insert_roles(conn, user).await
}

async fn insert_roles(conn: &impl ConnectionTrait, user: &User) -> Result<(), StoreError> {
    for role in &user.roles {
        user_roles::Model {
            user_id: user.id,
            role: role.clone(),
        }
        .into_active_model()
        .insert_row(conn)
        .await?;
    }
    Ok(())
}

impl Database {
    /// Sets one column of a user plus `updated_at`, with its audit event, atomically.
    async fn update_user_column(
        &self,
        user_id: Uuid,
        column: users::Column,
        value: sea_orm::Value,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        let result = users::Entity::update_many()
            .col_expr(column, Expr::value(value))
            .col_expr(users::Column::UpdatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(user_id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        }
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }
}

#[async_trait]
impl UserStore for Database {
    async fn find_user(&self, username: &Username) -> Result<Option<User>, StoreError> {
        static BY_USERNAME: Lookup = Lookup::new(|| {
            users::Entity::find()
                .filter(users::Column::Username.eq(""))
                .find_with_related(user_roles::Entity)
                .into_query()
        });
        one_with_roles(&self.lookups, &BY_USERNAME, username.as_str().into()).await
    }

    async fn find_user_by_id(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        static BY_ID: Lookup = Lookup::new(|| {
            users::Entity::find_by_id(Uuid::nil())
                .find_with_related(user_roles::Entity)
                .into_query()
        });
        one_with_roles(&self.lookups, &BY_ID, id.into()).await
    }

    async fn credentials_hold(
        &self,
        user_id: Uuid,
        hash: Option<&PasswordHash>,
    ) -> Result<bool, StoreError> {
        let found = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(credentials_match(user_id, hash))
            .lock_shared()
            .into_tuple::<Uuid>()
            .all(&self.conn)
            .await
            .map_err(backend)?;
        Ok(!found.is_empty())
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        // Two accounts sharing an address match neither: the row is read only when the address
        // is counted once (both served by the index on email_key). A count, not `LIMIT 2`: a
        // bound `LIMIT` re-prepares the statement on SQLite at every execution (`database`).
        let key = email_key(email);
        let others = Alias::new("others");
        let sharing = Query::select()
            .expr(Func::count(Expr::col(Asterisk)))
            .from_as(users::Entity, others.clone())
            .and_where(Expr::col((others, users::Column::EmailKey)).eq(key.clone()))
            .to_owned();
        let row = users::Entity::find()
            .filter(Expr::col((users::Entity, users::Column::EmailKey)).eq(key))
            .filter(Expr::expr(sharing).eq(1))
            .all(&self.lookups)
            .await
            .map_err(backend)?
            .into_iter()
            .next();
        match row {
            Some(row) => with_roles(&self.lookups, row).await.map(Some),
            None => Ok(None),
        }
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = users::Entity::find()
            .order_by_asc(users::Column::Username)
            .all(&self.conn)
            .await
            .map_err(backend)?;
        all_with_roles(&self.conn, rows).await
    }

    async fn insert_user(&self, user: &User, event: &AuditEvent) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        insert(&txn, user).await?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }

    async fn set_disabled(
        &self,
        user_id: Uuid,
        disabled: bool,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.update_user_column(user_id, users::Column::Disabled, disabled.into(), at, event)
            .await
    }

    async fn has_user_with_role(&self, role: &str) -> Result<bool, StoreError> {
        let count = user_roles::Entity::find()
            .filter(user_roles::Column::Role.eq(role))
            .count(&self.conn)
            .await
            .map_err(backend)?;
        Ok(count > 0)
    }
}
