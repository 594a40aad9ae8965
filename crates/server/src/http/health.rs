//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers and an
//! RS256 key can sign).

use actix_web::{HttpResponse, web};
use serde_json::json;
use valet_core::keys::SigningAlg;
use valet_core::ports::HealthStore;

use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "alive" }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.ping().await;
    let keys = state
        .published()
        .ring
        .signing_kid(SigningAlg::Rs256)
        .is_some();
    let body = json!({
        "status": if database.is_ok() && keys { "ready" } else { "not ready" },
        "database": if database.is_ok() { "ok" } else { "unreachable" },
        "keys": if keys { "ok" } else { "no active RS256 key" },
    });
    if let Err(e) = database {
        tracing::warn!(error = %e, "readiness: database unreachable");
    }
    if body["status"] == "ready" {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
