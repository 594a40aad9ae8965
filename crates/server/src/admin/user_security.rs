//! `/users/{id}/mfa`, `/users/{id}/mfa/reset` and `/users/{id}/email/verify`: an administrator sees
//! whether a user has two-step verification, turns it off (they lost their authenticator and
//! recovery codes; the user is told by mail) or sends them a new link to verify their address. The
//! changes are audited with the admin as actor.

use actix_web::{HttpResponse, web};
use valet_admin_api::MfaView;
use valet_core::ports::SecondFactorStore;

use super::auth::Admin;
use super::problem::ApiError;
use super::users::find;
use crate::account::mfa::{self, ResetError};
use crate::account::security::send_verification;
use crate::state::AppState;

type Data = web::Data<AppState>;

#[utoipa::path(get, path = "/users/{id}/mfa", tag = "users",
    responses((status = 200, body = MfaView), (status = 404, body = valet_admin_api::Problem)),
    security(("bearer" = [])))]
pub async fn mfa(
    state: Data,
    _admin: Admin,
    path: web::Path<uuid::Uuid>,
) -> Result<web::Json<MfaView>, ApiError> {
    let user = find(&state, *path).await?;
    let factor = state.db.mfa(user.id).await?;
    Ok(web::Json(MfaView {
        enabled: factor.enabled(),
        recovery_codes_left: factor.recovery_codes_left,
    }))
}

#[utoipa::path(post, path = "/users/{id}/mfa/reset", tag = "users",
    responses((status = 204, description = "two-step verification is off; the user was told by mail"),
        (status = 409, body = valet_admin_api::Problem, description = "two-step verification is not on")),
    security(("bearer" = [])))]
pub async fn reset_mfa(
    state: Data,
    admin: Admin,
    path: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = find(&state, *path).await?;
    let reset = mfa::reset_by_admin(
        &state.db,
        Some(state.master_key()),
        &state.config.issuer,
        state.clock.now(),
        &user,
        admin.0.actor(),
    )
    .await;
    match reset {
        Ok(_) => {
            state.outbox_queued.notify_one();
            Ok(HttpResponse::NoContent().finish())
        }
        Err(ResetError::NotOn) => Err(ApiError::Conflict(ResetError::NotOn.to_string())),
        Err(ResetError::Store(e)) => Err(e.into()),
        Err(ResetError::Key(_) | ResetError::NoMasterKey(_)) => Err(ApiError::Unavailable),
    }
}

#[utoipa::path(post, path = "/users/{id}/email/verify", tag = "users",
    responses((status = 202, description = "a verification link is on its way"),
        (status = 409, body = valet_admin_api::Problem, description = "no address, or it is verified")),
    security(("bearer" = [])))]
pub async fn request_verification(
    state: Data,
    admin: Admin,
    path: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = find(&state, *path).await?;
    let Some(email) = user
        .claims
        .email
        .as_deref()
        .filter(|_| !user.claims.email_verified)
    else {
        return Err(ApiError::Conflict(
            "the user has no email address, or it is verified already".into(),
        ));
    };
    send_verification(&state, &user, email, admin.0.actor(), state.clock.now()).await?;
    Ok(HttpResponse::Accepted().finish())
}
