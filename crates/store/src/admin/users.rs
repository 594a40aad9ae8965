//! Users: the searchable listing by username, a user's sessions, and whole-user rewrites and deletions.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::NotSet;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;
use valet_core::ports::StoreError;
use valet_core::session::Session;
use valet_core::user::User;

use super::search::{contains, needle, starts_with};
use crate::database::backend;
use crate::entities::{sessions, user_roles, users};

/// Usernames are stored lowercased (`Username::parse`), so `after` is compared lowercased too.
pub(super) async fn page(
    conn: &impl ConnectionTrait,
    query: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<User>, StoreError> {
    let mut select = users::Entity::find().limit(limit);
    if let Some(after) = after {
        select = select.filter(users::Column::Username.gt(after.to_lowercase()));
    }
    let needle = needle(query);
    select = match needle {
        None => select.order_by_asc(users::Column::Username),
        // The same order (usernames are lowercase), but not one the username index provides: so
        // PostgreSQL finds the matches first (trigram indexes) and sorts those, instead of walking
        // every user in username order and testing each, which costs a full scan when few match.
        Some(_) => select.order_by(
            Expr::expr(Func::lower(Expr::col(users::Column::Username))),
            Order::Asc,
        ),
    };
    if let Some(needle) = needle {
        select = select.filter(
            Condition::any()
                .add(starts_with(users::Column::Username, &needle))
                .add(starts_with(users::Column::Email, &needle))
                .add(contains(users::Column::Name, &needle)),
        );
    }
    let rows = select.all(conn).await.map_err(backend)?;
    crate::users::all_with_roles(conn, rows).await
}

pub(super) async fn sessions(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    active_only: bool,
    before: Option<Uuid>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<Session>, StoreError> {
    let mut select = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .order_by_desc(sessions::Column::Id)
        .limit(limit);
    if let Some(before) = before {
        select = select.filter(sessions::Column::Id.lt(before));
    }
    if active_only {
        select = select
            .filter(sessions::Column::EndedAt.is_null())
            .filter(sessions::Column::ExpiresAt.gt(now));
    }
    select
        .all(conn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(crate::sessions::session_from)
        .collect()
}

/// Rewrites every claim column, `updated_at` and the roles; the username, password hash, `disabled`
/// and creation time are not the admin's to rewrite here.
pub(super) async fn update(conn: &impl ConnectionTrait, user: &User) -> Result<(), StoreError> {
    let mut row = crate::users::to_row(user)?.into_active_model().reset_all();
    row.id = NotSet;
    row.username = NotSet;
    row.password_hash = NotSet;
    row.created_at = NotSet;
    row.disabled = NotSet;
    // The second factor changes only through `SecondFactorStore`.
    row.totp_secret_sealed = NotSet;
    row.totp_confirmed_at = NotSet;
    row.totp_last_step = NotSet;
    let result = users::Entity::update_many()
        .set(row)
        .filter(users::Column::Id.eq(user.id))
        .exec(conn)
        .await
        .map_err(backend)?;
    if result.rows_affected != 1 {
        return Err(StoreError::NotFound(format!("user {}", user.id)));
    }
    crate::users::replace_roles(conn, user).await
}

pub(super) async fn has_other_enabled_with_role(
    conn: &impl ConnectionTrait,
    role: &str,
    except: Uuid,
) -> Result<bool, StoreError> {
    let found = user_roles::Entity::find()
        .inner_join(users::Entity)
        .filter(user_roles::Column::Role.eq(role))
        .filter(user_roles::Column::UserId.ne(except))
        .filter(users::Column::Disabled.eq(false))
        .one(conn)
        .await
        .map_err(backend)?;
    Ok(found.is_some())
}
