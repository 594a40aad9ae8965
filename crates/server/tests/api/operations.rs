//! Health, readiness, request ids and security headers.

use crate::helpers::{Backend, spawn_app};

async fn health_and_readiness_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get_json("/healthz").await["status"], "alive");
    let ready = app.get_json("/readyz").await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "ok");
}

async fn responses_carry_a_request_id_and_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/jwks").await;
    let headers = response.headers();
    assert!(uuid::Uuid::parse_str(headers["x-request-id"].to_str().unwrap_or_default()).is_ok());
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    let echoed = app
        .http
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "trace-123")
        .send()
        .await;
    assert_eq!(
        echoed
            .map(|r| r.headers()["x-request-id"].clone())
            .ok()
            .as_ref()
            .map(|v| v.to_str().unwrap_or_default().to_owned()),
        Some("trace-123".into())
    );
    let hostile = app
        .http
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "a b\"<script>")
        .send()
        .await;
    let replaced = hostile
        .map(|r| {
            r.headers()["x-request-id"]
                .to_str()
                .unwrap_or_default()
                .to_owned()
        })
        .unwrap_or_default();
    assert!(
        uuid::Uuid::parse_str(&replaced).is_ok(),
        "an unsafe request id is replaced, got {replaced}"
    );
}

async fn unknown_paths_are_404_not_500(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/nope").await.status(), 404);
    assert_eq!(app.get("/jwks/extra").await.status(), 404);
}

crate::on_both_backends!(
    health_and_readiness_answer,
    responses_carry_a_request_id_and_security_headers,
    unknown_paths_are_404_not_500
);
