//! The `Admin` extractor: every admin handler takes one, so no route can forget authorization.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use valet_core::admin::{AdminCaller, authorize_admin};

use super::problem::ApiError;
use crate::state::AppState;

/// An authorized admin caller (see `valet_core::admin`).
pub struct Admin(pub AdminCaller);

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .then(|| token.trim().to_owned())
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or(ApiError::Unavailable)?;
            let token = token.ok_or_else(|| {
                ApiError::Unauthorized(
                    "a bearer access token with the valet:admin scope is required".into(),
                )
            })?;
            let published = state.published();
            let caller = authorize_admin(
                &token,
                &state.config.issuer,
                &published.ring,
                &state.db,
                state.clock.now(),
            )
            .await?;
            Ok(Admin(caller))
        })
    }
}
