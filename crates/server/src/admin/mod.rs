//! The admin API, `{issuer}/admin/api/v1`: JSON in and out, RFC 9457 problems, keyset pagination
//! with opaque cursors, and an audit event naming the caller for every mutation. Every handler takes
//! the `Admin` extractor (`auth`), so authorization cannot be forgotten; the one public document is
//! the OpenAPI description, which holds no data. Same-origin only: no CORS headers are ever sent, so
//! browsers refuse cross-origin calls.

mod auth;
mod clients;
mod grants;
mod openapi;
mod operations;
mod problem;
mod user_security;
mod users;
mod views;

use actix_web::web::{self, ServiceConfig};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use valet_admin_api::{Page, RevocationView};
use valet_core::revocation::Cascade;

use crate::state::AppState;
use auth::Admin;
use problem::ApiError;
use views::revocation_view;

pub use openapi::ApiDoc;

/// Rows per page unless `limit` says otherwise, and the most a page may have.
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 200;

/// `?q=&cursor=&limit=` of every listing.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search text (see each listing).
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<u64>,
}

impl ListQuery {
    /// The paging part of a listing whose own query type has other filters than `q`.
    fn paging(cursor: Option<String>, limit: Option<u64>) -> Self {
        Self {
            q: None,
            cursor,
            limit,
        }
    }

    fn limit(&self) -> u64 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The key the previous page ended with.
    fn after(&self) -> Result<Option<String>, ApiError> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }

    fn before_id(&self) -> Result<Option<uuid::Uuid>, ApiError> {
        self.after()?
            .map(|key| uuid::Uuid::parse_str(&key).map_err(|_| bad_cursor()))
            .transpose()
    }
}

/// `?dry_run=true` counts what a revocation would cut and changes nothing.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevocationQuery {
    #[serde(default)]
    pub dry_run: bool,
}

fn bad_cursor() -> ApiError {
    ApiError::BadRequest("the cursor is not one this API issued".into())
}

fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor())?;
    String::from_utf8(bytes).map_err(|_| bad_cursor())
}

/// A page from `limit + 1` fetched rows: the extra row only says that there is a next page.
fn page<T, V>(
    mut rows: Vec<T>,
    limit: u64,
    key: impl Fn(&T) -> String,
    view: impl Fn(&T) -> V,
) -> Page<V> {
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = more
        .then(|| rows.last().map(|last| encode_cursor(&key(last))))
        .flatten();
    Page {
        items: rows.iter().map(view).collect(),
        next_cursor,
    }
}

/// Runs a revocation cascade as the caller; a real one also starts delivering its logout tokens
/// (their status is then at `/notifications`).
async fn revoke(
    state: &web::Data<AppState>,
    admin: &Admin,
    plan: &Cascade,
    dry_run: bool,
) -> Result<web::Json<RevocationView>, ApiError> {
    let report = crate::delivery::run_cascade(state, plan, admin.0.actor(), dry_run).await?;
    Ok(web::Json(revocation_view(&report)))
}

/// The routes, below `{issuer}/admin/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(64 * 1024)
            .error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()),
    )
    .app_data(
        web::PathConfig::default().error_handler(|e, _| ApiError::NotFound(e.to_string()).into()),
    )
    .route("/openapi.json", web::get().to(openapi::document))
    .route("/overview", web::get().to(operations::overview))
    .route("/clients", web::get().to(clients::list))
    .route("/clients", web::post().to(clients::create))
    .route("/clients/{client_id}", web::get().to(clients::read))
    .route("/clients/{client_id}", web::put().to(clients::update))
    .route("/clients/{client_id}", web::delete().to(clients::delete))
    .route(
        "/clients/{client_id}/disable",
        web::post().to(clients::disable),
    )
    .route(
        "/clients/{client_id}/enable",
        web::post().to(clients::enable),
    )
    .route(
        "/clients/{client_id}/secret",
        web::post().to(clients::rotate_secret),
    )
    .route(
        "/clients/{client_id}/grants/revoke",
        web::post().to(clients::revoke_grants),
    )
    .route("/users", web::get().to(users::list))
    .route("/users", web::post().to(users::create))
    .route("/users/{id}", web::get().to(users::read))
    .route("/users/{id}", web::patch().to(users::update))
    .route("/users/{id}", web::delete().to(users::delete))
    .route("/users/{id}/disable", web::post().to(users::disable))
    .route("/users/{id}/enable", web::post().to(users::enable))
    .route("/users/{id}/password", web::post().to(users::set_password))
    .route("/users/{id}/mfa", web::get().to(user_security::mfa))
    .route(
        "/users/{id}/mfa/reset",
        web::post().to(user_security::reset_mfa),
    )
    .route(
        "/users/{id}/email/verify",
        web::post().to(user_security::request_verification),
    )
    .route("/users/{id}/sessions", web::get().to(users::sessions))
    .route(
        "/users/{id}/sessions/end",
        web::post().to(users::end_sessions),
    )
    .route(
        "/users/{id}/grants/revoke",
        web::post().to(users::revoke_grants),
    )
    .route("/sessions/{id}/end", web::post().to(grants::end_session))
    .route("/grants", web::get().to(grants::list))
    .route("/grants/{id}/revoke", web::post().to(grants::revoke_one))
    .route("/notifications", web::get().to(operations::notifications))
    .route("/keys", web::get().to(operations::keys))
    .route("/keys/rotate", web::post().to(operations::rotate_keys))
    .route("/audit", web::get().to(operations::audit))
    .default_service(web::route().to(|| async {
        Err::<actix_web::HttpResponse, _>(ApiError::NotFound("no such admin endpoint".into()))
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(
            decode_cursor(&encode_cursor("alice@example"))
                .ok()
                .as_deref(),
            Some("alice@example")
        );
        assert!(decode_cursor("***").is_err());
    }

    #[test]
    fn a_page_knows_from_one_extra_row_whether_more_follow() {
        let full = page(vec![1, 2, 3], 2, |n| n.to_string(), |n| *n);
        assert_eq!(full.items, vec![1, 2]);
        assert_eq!(
            full.next_cursor
                .as_deref()
                .map(decode_cursor)
                .and_then(Result::ok)
                .as_deref(),
            Some("2")
        );
        let last = page(vec![1, 2], 2, |n| n.to_string(), |n| *n);
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn limits_are_clamped() {
        let query = |limit| ListQuery {
            limit,
            ..Default::default()
        };
        assert_eq!(query(None).limit(), 50);
        assert_eq!(query(Some(0)).limit(), 1);
        assert_eq!(query(Some(10_000)).limit(), 200);
    }
}
