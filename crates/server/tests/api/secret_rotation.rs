//! Secret rotation with an overlap (`valet client rotate-secret --overlap`): both secrets authenticate
//! at the token endpoint until the overlap ends, with client_secret_basic and client_secret_post.

use reqwest::StatusCode;
use serde_json::Value;

use crate::cli::{json, valet};
use crate::helpers::{Backend, TestApp, TestEnv};

const BASIC_SECRET: &str = "basic-client-secret-0123456789abcdef";
const POST_SECRET: &str = "post-client-secret-0123456789abcdef";

const PROVISION: &str = r#"
[[clients]]
client_id = "batch"
client_name = "Batch"
client_secret = "basic-client-secret-0123456789abcdef"
grant_types = ["client_credentials"]
scope = "reports:read"

[[clients]]
client_id = "poster"
client_name = "Poster"
token_endpoint_auth_method = "client_secret_post"
client_secret = "post-client-secret-0123456789abcdef"
grant_types = ["client_credentials"]
scope = "reports:read"
"#;

/// The status of a client_credentials request authenticated with client_secret_basic.
async fn with_basic(app: &TestApp, client_id: &str, secret: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .post(format!("{}/token", app.address))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (response.status(), response.json().await.unwrap_or_default())
}

/// The status of a client_credentials request authenticated with client_secret_post.
async fn with_post(app: &TestApp, client_id: &str, secret: &str) -> StatusCode {
    app.http
        .post(format!("{}/token", app.address))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .status()
}

fn rotate(env: &TestEnv, client_id: &str, overlap: &str) -> String {
    let rotated = json(&valet(
        env,
        &[
            "--json",
            "client",
            "rotate-secret",
            client_id,
            "--overlap",
            overlap,
        ],
        None,
    ));
    rotated["client_secret"]
        .as_str()
        .unwrap_or_else(|| panic!("a new secret: {rotated}"))
        .to_owned()
}

async fn both_secrets_work_during_a_rotation_overlap(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let new = rotate(&env, "batch", "1h");
    assert_ne!(new, BASIC_SECRET);
    let (status, tokens) = with_basic(&app, "batch", &new).await;
    assert_eq!(status, StatusCode::OK, "the new secret: {tokens}");
    let (status, tokens) = with_basic(&app, "batch", BASIC_SECRET).await;
    assert_eq!(status, StatusCode::OK, "the previous secret: {tokens}");
    assert!(tokens["access_token"].is_string());
    let (status, e) = with_basic(&app, "batch", "not-a-secret-of-this-client").await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );

    let new_post = rotate(&env, "poster", "1h");
    assert_eq!(with_post(&app, "poster", &new_post).await, StatusCode::OK);
    assert_eq!(with_post(&app, "poster", POST_SECRET).await, StatusCode::OK);
}

async fn a_rotation_without_overlap_retires_the_previous_secret_at_once(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let overlapping = rotate(&env, "batch", "1h");
    let latest = rotate(&env, "batch", "0");
    assert_eq!(with_basic(&app, "batch", &latest).await.0, StatusCode::OK);
    for retired in [overlapping.as_str(), BASIC_SECRET] {
        let (status, e) = with_basic(&app, "batch", retired).await;
        assert_eq!(
            (status, e["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client")),
            "a secret replaced without overlap"
        );
    }
}

crate::on_both_backends!(
    both_secrets_work_during_a_rotation_overlap,
    a_rotation_without_overlap_retires_the_previous_secret_at_once
);
