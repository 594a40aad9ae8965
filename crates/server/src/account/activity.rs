//! Where the account is used: `POST /account/sessions/{id}/end`, `POST /account/sessions/end-others`
//! and `POST /account/apps/{grant}/revoke`. Each runs the revocation cascade, so the tokens bound
//! to a session or grant die with it and relying parties are told (back-channel logout).

use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;
use valet_core::audit::Actor;
use valet_core::ports::{GrantStore, SessionStore};
use valet_core::revocation::{Cascade, Grants};

use super::{back, finish};
use crate::delivery::run_cascade;
use crate::http::forms::CsrfForm;
use crate::state::AppState;

/// `POST /account/sessions/{id}/end`: only a session of this user; ending an unknown one is a no-op.
pub async fn end_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let signed = signed_form!(&state, &req, &form.csrf);
    finish(
        async {
            let theirs = state
                .db
                .find_session_by_id(*id)
                .await?
                .filter(|s| s.user_id == signed.user.id);
            if let Some(session) = theirs {
                let plan = Cascade::end_session(session.id, "ended on the account page");
                run_cascade(&state, &plan, Actor::user(signed.user.id), false).await?;
            }
            Ok(back(&state, "session"))
        }
        .await,
    )
}

/// `POST /account/sessions/end-others`.
pub async fn end_others(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let signed = signed_form!(&state, &req, &form.csrf);
    finish(
        async {
            let plan = Cascade::end_user_sessions(
                signed.user.id,
                Some(signed.session.id),
                "other sessions ended on the account page",
            );
            run_cascade(&state, &plan, Actor::user(signed.user.id), false).await?;
            Ok(back(&state, "sessions"))
        }
        .await,
    )
}

/// `POST /account/apps/{grant}/revoke`: only a grant of this user.
pub async fn revoke_app(
    state: web::Data<AppState>,
    req: HttpRequest,
    grant: web::Path<Uuid>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let signed = signed_form!(&state, &req, &form.csrf);
    finish(
        async {
            let theirs = state
                .db
                .find_grant(*grant)
                .await?
                .filter(|g| g.user_id == signed.user.id);
            if let Some(grant) = theirs {
                let plan = Cascade::revoke_grants(
                    Grants::One(grant.id),
                    "revoked by the user on the account page",
                );
                run_cascade(&state, &plan, Actor::user(signed.user.id), false).await?;
            }
            Ok(back(&state, "revoked"))
        }
        .await,
    )
}
