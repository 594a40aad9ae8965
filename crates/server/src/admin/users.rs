//! `/users`: list and search, create, read, update claims and roles, disable/enable (disabling cuts
//! every grant and session), set the password (ending every session), sessions, delete.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use valet_admin_api::{
    NewUser, Page, PasswordInput, RevocationView, SessionView, UserPatch, UserView,
};
use valet_core::audit::AuditEvent;
use valet_core::password::Password;
use valet_core::ports::{AdminStore, UserStore};
use valet_core::provision::{ProvisionError, UserEntry};
use valet_core::random::OsRandom;
use valet_core::revocation::{Cascade, Grants};
use valet_core::user::{ADMIN_ROLE, StandardClaims, User, parse_role};

use super::auth::Admin;
use super::problem::ApiError;
use super::views::{session_view, user_view};
use super::{ListQuery, RevocationQuery, page, revoke};
use crate::startup::{generate_password, hash_password};
use crate::state::AppState;

type Data = web::Data<AppState>;

/// A new password, shown once when Valet generated it.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    pub user: UserView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Sessions the password change ended.
    pub sessions_ended: u64,
}

pub(super) async fn find(state: &AppState, id: Uuid) -> Result<User, ApiError> {
    state
        .db
        .find_user_by_id(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user {id}")))
}

/// Refuses a change that would leave no enabled administrator: nobody could manage Valet any more.
async fn keep_an_admin(state: &AppState, user: &User) -> Result<(), ApiError> {
    let enabled_admin = !user.disabled && user.roles.contains(ADMIN_ROLE);
    if enabled_admin
        && !state
            .db
            .has_other_enabled_with_role(ADMIN_ROLE, user.id)
            .await?
    {
        return Err(ApiError::Conflict(
            "this is the last enabled administrator: make another user an administrator first"
                .into(),
        ));
    }
    Ok(())
}

fn claims(map: serde_json::Map<String, serde_json::Value>) -> Result<StandardClaims, ApiError> {
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| ApiError::field("claims", e))
}

fn invalid(e: ProvisionError) -> ApiError {
    match e {
        ProvisionError::Invalid { field, message, .. } => ApiError::field(field, message),
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// The password to set: the one given (at least 8 characters) or a generated one, shown once.
fn password(given: Option<&str>) -> Result<(Password, bool), ApiError> {
    match given {
        Some(text) if text.chars().count() >= 8 => Ok((Password::new(text), false)),
        Some(_) => Err(ApiError::field("password", "must be at least 8 characters")),
        None => Ok((generate_password(&OsRandom), true)),
    }
}

#[utoipa::path(get, path = "/users", tag = "users", params(ListQuery),
    responses((status = 200, body = Page<UserView>)), security(("bearer" = [])))]
pub async fn list(
    state: Data,
    _: Admin,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Page<UserView>>, ApiError> {
    let limit = query.limit();
    let after = query.after()?;
    let rows = state
        .db
        .page_users(query.q.as_deref(), after.as_deref(), limit + 1)
        .await?;
    Ok(web::Json(page(
        rows,
        limit,
        |u| u.username.as_str().to_owned(),
        user_view,
    )))
}

#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = Credentials), (status = 400, body = valet_admin_api::Problem), (status = 409, body = valet_admin_api::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    state: Data,
    admin: Admin,
    input: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let input = input.into_inner();
    let (password, generated) = password(input.password.as_deref())?;
    let entry = UserEntry {
        username: input.username.clone(),
        password: Some(password.expose().to_owned()),
        roles: input.roles.clone(),
        claims: claims(input.claims)?,
        ..Default::default()
    };
    let spec = entry.validate(0).map_err(invalid)?;
    let now = state.clock.now();
    let hash = hash_password(password.clone())
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let user = User {
        id: Uuid::now_v7(),
        username: spec.username,
        password_hash: Some(hash),
        disabled: false,
        claims: spec.claims,
        roles: spec.roles,
        created_at: now,
        updated_at: now,
        second_factor: false,
    };
    let event =
        AuditEvent::new(now, admin.0.actor(), "user.created").target("user", user.id.to_string());
    state.db.insert_user(&user, &event).await?;
    Ok(HttpResponse::Created().json(Credentials {
        user: user_view(&user),
        password: generated.then(|| password.expose().to_owned()),
        sessions_ended: 0,
    }))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users",
    responses((status = 200, body = UserView), (status = 404, body = valet_admin_api::Problem)), security(("bearer" = [])))]
pub async fn read(
    state: Data,
    _: Admin,
    path: web::Path<Uuid>,
) -> Result<web::Json<UserView>, ApiError> {
    Ok(web::Json(user_view(&find(&state, *path).await?)))
}

#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UserPatch,
    responses((status = 200, body = UserView), (status = 400, body = valet_admin_api::Problem)), security(("bearer" = [])))]
pub async fn update(
    state: Data,
    admin: Admin,
    path: web::Path<Uuid>,
    input: web::Json<UserPatch>,
) -> Result<web::Json<UserView>, ApiError> {
    let input = input.into_inner();
    let mut user = find(&state, *path).await?;
    if let Some(map) = input.claims {
        let entry = UserEntry {
            username: user.username.as_str().to_owned(),
            claims: claims(map)?,
            ..Default::default()
        };
        user.claims = entry.validate(0).map_err(invalid)?.claims;
    }
    if let Some(roles) = input.roles {
        let roles: std::collections::BTreeSet<String> = roles
            .iter()
            .enumerate()
            .map(|(i, r)| parse_role(r).map_err(|e| ApiError::field(format!("roles[{i}]"), e)))
            .collect::<Result<_, _>>()?;
        if !roles.contains(ADMIN_ROLE) {
            keep_an_admin(&state, &user).await?;
        }
        user.roles = roles;
    }
    user.updated_at = state.clock.now();
    let event = AuditEvent::new(user.updated_at, admin.0.actor(), "user.updated")
        .target("user", user.id.to_string());
    state.db.update_user(&user, &event).await?;
    Ok(web::Json(user_view(&user)))
}

#[utoipa::path(post, path = "/users/{id}/disable", tag = "users", params(RevocationQuery),
    responses((status = 200, body = RevocationView)), security(("bearer" = [])))]
pub async fn disable(
    state: Data,
    admin: Admin,
    path: web::Path<Uuid>,
    query: web::Query<RevocationQuery>,
) -> Result<web::Json<RevocationView>, ApiError> {
    let user = find(&state, *path).await?;
    keep_an_admin(&state, &user).await?;
    revoke(
        &state,
        &admin,
        &Cascade::disable_user(user.id),
        query.dry_run,
    )
    .await
}

#[utoipa::path(post, path = "/users/{id}/enable", tag = "users",
    responses((status = 200, body = UserView)), security(("bearer" = [])))]
pub async fn enable(
    state: Data,
    admin: Admin,
    path: web::Path<Uuid>,
) -> Result<web::Json<UserView>, ApiError> {
    let mut user = find(&state, *path).await?;
    if user.disabled {
        let now = state.clock.now();
        let event = AuditEvent::new(now, admin.0.actor(), "user.enabled")
            .target("user", user.id.to_string());
        state.db.set_disabled(user.id, false, now, &event).await?;
        user.disabled = false;
    }
    Ok(web::Json(user_view(&user)))
}

#[utoipa::path(post, path = "/users/{id}/password", tag = "users", request_body = PasswordInput,
    responses((status = 200, body = Credentials), (status = 400, body = valet_admin_api::Problem)), security(("bearer" = [])))]
pub async fn set_password(
    state: Data,
    admin: Admin,
    path: web::Path<Uuid>,
    input: web::Json<PasswordInput>,
) -> Result<web::Json<Credentials>, ApiError> {
    let user = find(&state, *path).await?;
    let (password, generated) = password(input.password.as_deref())?;
    let hash = hash_password(password.clone())
        .await
        .map_err(|_| ApiError::Unavailable)?;
    // One transaction: the new password, and every session of the user ended.
    let ended = revoke(
        &state,
        &admin,
        &Cascade::set_password(user.id, hash, None),
        false,
    )
    .await?;
    Ok(web::Json(Credentials {
        user: user_view(&user),
        password: generated.then(|| password.expose().to_owned()),
        sessions_ended: ended.sessions,
    }))
}

#[utoipa::path(delete, path = "/users/{id}", tag = "users",
    responses((status = 200, body = RevocationView, description = "what was revoked before the user was deleted")),
    security(("bearer" = [])))]
pub async fn delete(
    state: Data,
    admin: Admin,
    path: web::Path<Uuid>,
) -> Result<web::Json<RevocationView>, ApiError> {
    let user = find(&state, *path).await?;
    keep_an_admin(&state, &user).await?;
    let report = revoke(
        &state,
        &admin,
        &Cascade::user_cut_off(user.id, "user deleted"),
        false,
    )
    .await?;
    let event = AuditEvent::new(state.clock.now(), admin.0.actor(), "user.deleted")
        .target("user", user.id.to_string());
    state.db.delete_user(user.id, &event).await?;
    Ok(report)
}

/// `?active=true` lists only sessions that are still signed in.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    #[serde(default)]
    pub active: bool,
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/users/{id}/sessions", tag = "sessions", params(SessionQuery),
    responses((status = 200, body = Page<SessionView>, description = "the user's sessions, newest first")),
    security(("bearer" = [])))]
pub async fn sessions(
    state: Data,
    _: Admin,
    path: web::Path<Uuid>,
    query: web::Query<SessionQuery>,
) -> Result<web::Json<Page<SessionView>>, ApiError> {
    let user = find(&state, *path).await?;
    let now = state.clock.now();
    let list = ListQuery::paging(query.cursor.clone(), query.limit);
    let limit = list.limit();
    let before = list.before_id()?;
    let rows = state
        .db
        .user_sessions(user.id, query.active, before, limit + 1, now)
        .await?;
    Ok(web::Json(page(
        rows,
        limit,
        |s| s.id.to_string(),
        |s| session_view(s, now),
    )))
}

#[utoipa::path(post, path = "/users/{id}/sessions/end", tag = "sessions", params(RevocationQuery),
    responses((status = 200, body = RevocationView)), security(("bearer" = [])))]
pub async fn end_sessions(
    state: Data,
    admin: Admin,
    path: web::Path<Uuid>,
    query: web::Query<RevocationQuery>,
) -> Result<web::Json<RevocationView>, ApiError> {
    let user = find(&state, *path).await?;
    let plan = Cascade::end_user_sessions(user.id, None, "ended by an administrator");
    revoke(&state, &admin, &plan, query.dry_run).await
}

#[utoipa::path(post, path = "/users/{id}/grants/revoke", tag = "grants", params(RevocationQuery),
    responses((status = 200, body = RevocationView)), security(("bearer" = [])))]
pub async fn revoke_grants(
    state: Data,
    admin: Admin,
    path: web::Path<Uuid>,
    query: web::Query<RevocationQuery>,
) -> Result<web::Json<RevocationView>, ApiError> {
    let user = find(&state, *path).await?;
    let plan = Cascade::revoke_grants(Grants::OfUser(user.id), "revoked by an administrator");
    revoke(&state, &admin, &plan, query.dry_run).await
}
