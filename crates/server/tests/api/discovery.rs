//! OIDC Discovery 1.0 and RFC 8414 metadata.

use crate::helpers::{Backend, TestEnv, spawn_app};

async fn discovery_names_the_configured_issuer(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/.well-known/openid-configuration").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let doc: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(doc["issuer"], "http://localhost:8080");
    assert_eq!(doc["jwks_uri"], "http://localhost:8080/jwks");
    for required in [
        "authorization_endpoint",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
    ] {
        assert!(!doc[required].is_null(), "Discovery §3 requires {required}");
    }
    assert_eq!(doc["id_token_signing_alg_values_supported"][0], "RS256");
}

async fn rfc8414_metadata_equals_the_openid_document(backend: Backend) {
    let app = spawn_app(backend).await;
    let oidc = app.get_json("/.well-known/openid-configuration").await;
    let oauth = app
        .get_json("/.well-known/oauth-authorization-server")
        .await;
    assert_eq!(oidc, oauth);
}

async fn an_issuer_with_a_path_mounts_every_endpoint_below_it(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env
        .start(&["--issuer", "https://id.example.com/tenants/acme"])
        .await;
    let doc = app
        .get_json("/tenants/acme/.well-known/openid-configuration")
        .await;
    assert_eq!(doc["issuer"], "https://id.example.com/tenants/acme");
    assert_eq!(doc["jwks_uri"], "https://id.example.com/tenants/acme/jwks");
    // RFC 8414 §3.1: the well-known segment goes between host and path.
    assert_eq!(
        app.get_json("/.well-known/oauth-authorization-server/tenants/acme")
            .await,
        doc
    );
    assert_eq!(
        app.get_json("/tenants/acme/jwks").await["keys"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(
        app.get("/.well-known/openid-configuration").await.status(),
        404
    );
    let https = app.get("/tenants/acme/jwks").await;
    assert!(
        https.headers().contains_key("strict-transport-security"),
        "an https issuer sends HSTS"
    );
}

crate::on_both_backends!(
    discovery_names_the_configured_issuer,
    rfc8414_metadata_equals_the_openid_document,
    an_issuer_with_a_path_mounts_every_endpoint_below_it
);
