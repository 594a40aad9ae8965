//! The OpenAPI 3.1 document of the admin API, generated from the handlers' annotations and the
//! `valet-admin-api` types, served at `{issuer}/admin/api/v1/openapi.json`.

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{clients, grants, operations, user_security, users};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Valet admin API", description = "Manage clients, users, sessions, grants, keys and the audit log. Authorization: a bearer access token with the `valet:admin` scope, issued to an administrator or to a client through client credentials."),
    paths(
        operations::overview,
        clients::list, clients::create, clients::read, clients::update, clients::delete,
        clients::disable, clients::enable, clients::rotate_secret, clients::revoke_grants,
        users::list, users::create, users::read, users::update, users::delete, users::disable,
        users::enable, users::set_password, users::sessions, users::end_sessions, users::revoke_grants,
        user_security::mfa, user_security::reset_mfa, user_security::request_verification,
        grants::list, grants::revoke_one, grants::end_session,
        operations::notifications, operations::keys, operations::rotate_keys, operations::audit,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document, with this deployment's base URL.
pub async fn document(state: web::Data<AppState>) -> HttpResponse {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![utoipa::openapi::Server::new(
        state
            .config
            .issuer
            .endpoint(valet_admin_api::BASE_PATH.trim_start_matches('/')),
    )]);
    HttpResponse::Ok().json(doc)
}
