//! client_secret_jwt at the token endpoint (OIDC Core §9, RFC 7523 §2.2): a client_credentials request
//! authenticated by an HMAC assertion keyed with the client secret, which provisioning sealed under the
//! master key the server runs with.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jws::{HS256, HS512, JwsHeader, JwsSigner};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::{json, valet};
use crate::helpers::{Backend, TestApp, TestEnv};

const SECRET: &str = "hmac-client-secret-0123456789abcdef-0123456";
const LONG_SECRET: &str = "hmac512-client-secret-0123456789abcdef-0123456789abcdef-01234567";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const PROVISION: &str = r#"
[[clients]]
client_id = "hmac"
client_name = "HMAC batch"
token_endpoint_auth_method = "client_secret_jwt"
client_secret = "hmac-client-secret-0123456789abcdef-0123456"
grant_types = ["client_credentials"]
scope = "reports:read"

[[clients]]
client_id = "hmac512"
client_name = "HMAC batch, HS512"
token_endpoint_auth_method = "client_secret_jwt"
token_endpoint_auth_signing_alg = "HS512"
client_secret = "hmac512-client-secret-0123456789abcdef-0123456789abcdef-01234567"
grant_types = ["client_credentials"]
"#;

/// An assertion for `client_id`, addressed to the token endpoint, signed by `signer`.
fn assertion(app: &TestApp, signer: &dyn JwsSigner, client_id: &str) -> String {
    assertion_for(&format!("{}/token", app.address), signer, client_id)
}

fn assertion_for(aud: &str, signer: &dyn JwsSigner, client_id: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": client_id, "sub": client_id, "aud": aud,
        "jti": uuid::Uuid::now_v7().to_string(), "iat": now, "exp": now + 60,
    });
    let payload = serde_json::to_vec(&claims).unwrap_or_default();
    josekit::jws::serialize_compact(&payload, &JwsHeader::new(), signer)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn hs256(secret: &str) -> impl JwsSigner {
    HS256
        .signer_from_bytes(secret.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn token(app: &TestApp, assertion: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .post(format!("{}/token", app.address))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (response.status(), response.json().await.unwrap_or_default())
}

fn subject(access_token: &Value) -> Value {
    let payload = access_token
        .as_str()
        .and_then(|jwt| jwt.split('.').nth(1))
        .unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap_or_default())
        .map(|claims: Value| claims["sub"].clone())
        .unwrap_or_default()
}

async fn an_hmac_assertion_authenticates_a_client_credentials_request(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let jwt = assertion(&app, &hs256(SECRET), "hmac");
    let (status, tokens) = token(&app, &jwt).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(subject(&tokens["access_token"]), "hmac");
    assert_eq!(tokens["scope"], "reports:read");

    let (status, e) = token(&app, &jwt).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client")),
        "an assertion is used once: {e}"
    );
    let forged = assertion(&app, &hs256(&SECRET.replace('0', "1")), "hmac");
    let (status, e) = token(&app, &forged).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client")),
        "{e}"
    );
}

async fn a_registered_hmac_alg_is_the_only_one_accepted(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let hs512 = HS512
        .signer_from_bytes(LONG_SECRET.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, tokens) = token(&app, &assertion(&app, &hs512, "hmac512")).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (status, e) = token(&app, &assertion(&app, &hs256(LONG_SECRET), "hmac512")).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client")),
        "{e}"
    );
}

async fn discovery_advertises_client_secret_jwt_and_rotation_is_refused(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let doc = app.get_json("/.well-known/openid-configuration").await;
    let listed = |member: &str, value: &str| {
        doc[member]
            .as_array()
            .is_some_and(|values| values.contains(&json!(value)))
    };
    assert!(listed(
        "token_endpoint_auth_methods_supported",
        "client_secret_jwt"
    ));
    assert!(listed(
        "token_endpoint_auth_signing_alg_values_supported",
        "HS256"
    ));
    let refused = valet(&env, &["client", "rotate-secret", "hmac"], None);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("client_secret_jwt"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let jwt = assertion(&app, &hs256(SECRET), "hmac");
    assert_eq!(
        token(&app, &jwt).await.0,
        StatusCode::OK,
        "the secret did not change"
    );
}

async fn the_provision_command_seals_with_the_servers_master_key(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let file = env.dir.join("valet.toml");
    std::fs::write(&file, PROVISION).unwrap_or_else(|e| panic!("{e}"));
    let path = file.display().to_string();
    let refused = valet(&env, &["provision", &path], None);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && message.contains("master key"),
        "no master key exists yet, and `provision` does not create one: {message}"
    );
    let app = env.start(&[]).await;
    let applied = json(&valet(&env, &["--json", "provision", &path], None));
    assert_eq!(applied["clients_created"], 2);
    let doc = app.get_json("/.well-known/openid-configuration").await;
    let aud = doc["token_endpoint"].as_str().unwrap_or_default();
    let (status, tokens) = token(&app, &assertion_for(aud, &hs256(SECRET), "hmac")).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
}

crate::on_both_backends!(
    an_hmac_assertion_authenticates_a_client_credentials_request,
    a_registered_hmac_alg_is_the_only_one_accepted,
    discovery_advertises_client_secret_jwt_and_rotation_is_refused,
    the_provision_command_seals_with_the_servers_master_key
);
