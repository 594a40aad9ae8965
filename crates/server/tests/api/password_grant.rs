//! The resource owner password grant (RFC 6749 §4.3) over HTTP: off and unadvertised by default;
//! when enabled, only for a client that registered it (and does not require two-step verification),
//! throttled like the login form, and refused for a user with a second factor.

use reqwest::StatusCode;
use serde_json::Value;

use valet_core::audit::{Actor, AuditEvent};
use valet_core::ports::{SecondFactorStore, UserStore};
use valet_core::user::Username;

use crate::helpers::{Backend, TestApp, TestEnv};
use crate::logout::part;

const PROVISION: &str = r#"
[[clients]]
client_id = "legacy"
client_name = "Legacy app"
client_secret = "legacy-client-secret-0123456789abcdef"
grant_types = ["password", "refresh_token"]
scope = "openid profile"
first_party = true

[[clients]]
client_id = "modern"
client_name = "Modern app"
client_secret = "modern-client-secret-0123456789abcdef"
grant_types = ["client_credentials"]
scope = "reports"

[[clients]]
client_id = "strict"
client_name = "Strict app"
client_secret = "strict-client-secret-0123456789abcdef"
grant_types = ["password"]
scope = "openid"
first_party = true
default_acr_values = ["2"]

[[users]]
username = "alice"
password = "alice's long password"
claims = { name = "Alice" }
"#;

async fn start(backend: Backend, enabled: bool) -> TestApp {
    start_in(&TestEnv::new(backend).await, enabled).await
}

async fn start_in(env: &TestEnv, enabled: bool) -> TestApp {
    let config = env.dir.join("valet.toml");
    std::fs::write(&config, format!("[tokens]\npassword_grant = {enabled}\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let path = config.display().to_string();
    env.start_as_issuer_with(PROVISION, &["--config", &path])
        .await
}

async fn password(app: &TestApp, client: &str, user: &str, password: &str) -> (StatusCode, Value) {
    let secret = format!("{client}-client-secret-0123456789abcdef");
    let response = app
        .http
        .post(format!("{}/token", app.address))
        .basic_auth(client, Some(secret))
        .form(&[
            ("grant_type", "password"),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (response.status(), response.json().await.unwrap_or_default())
}

async fn advertised(app: &TestApp) -> bool {
    let discovery = app.get_json("/.well-known/openid-configuration").await;
    discovery["grant_types_supported"]
        .as_array()
        .is_some_and(|types| types.iter().any(|t| t == "password"))
}

async fn off_by_default_and_not_advertised(backend: Backend) {
    let app = start(backend, false).await;
    assert!(!advertised(&app).await);
    let (status, body) = password(&app, "legacy", "alice", "alice's long password").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
}

async fn when_enabled_only_registered_clients_get_tokens(backend: Backend) {
    let app = start(backend, true).await;
    assert!(advertised(&app).await);
    let (status, tokens) = password(&app, "legacy", "alice", "alice's long password").await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let claims = part(tokens["id_token"].as_str().unwrap_or_default(), 1);
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert!(claims.get("sid").is_none(), "no browser session behind it");
    assert!(tokens["refresh_token"].is_string());

    let (status, body) = password(&app, "modern", "alice", "alice's long password").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client"))
    );
    let (status, body) = password(&app, "strict", "alice", "alice's long password").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client")),
        "a client that requires two-step verification cannot use the password grant"
    );
    let (status, body) = password(&app, "legacy", "nobody", "alice's long password").await;
    let (status2, body2) = password(&app, "legacy", "alice", "wrong").await;
    assert_eq!(
        (status, &body),
        (status2, &body2),
        "unknown user and wrong password look alike"
    );
    assert_eq!(body["error"], "invalid_grant");
}

async fn guessing_is_throttled_like_the_login_form(backend: Backend) {
    let app = start(backend, true).await;
    for n in 1..=6 {
        let (status, _) = password(&app, "legacy", "alice", &format!("guess {n}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "attempt {n}");
    }
    let (status, body) = password(&app, "legacy", "alice", "alice's long password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

async fn a_user_with_a_second_factor_is_refused(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = start_in(&env, true).await;
    let db = valet_store::Database::connect(&env.database_url, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let alice = db
        .find_user(&Username::parse("alice").unwrap_or_else(|e| panic!("{e}")))
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("alice"));
    let now = chrono::Utc::now();
    let event = AuditEvent::new(now, Actor::cli(), "user.mfa_enabled");
    assert!(db.begin_totp(alice.id, "v1.sealed").await.unwrap_or(false));
    assert!(
        db.confirm_totp(alice.id, "v1.sealed", 1, &[], now, &event)
            .await
            .unwrap_or(false)
    );
    let (status, body) = password(&app, "legacy", "alice", "alice's long password").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("two-step")),
        "{body}"
    );
}

crate::on_both_backends!(
    a_user_with_a_second_factor_is_refused,
    off_by_default_and_not_advertised,
    when_enabled_only_registered_clients_get_tokens,
    guessing_is_throttled_like_the_login_form
);

/// Cuts the server off its PostgreSQL database (no new connection allowed, the open ones ended)
/// while `during` runs, then lets it back.
async fn while_the_database_is_down<T>(
    env: &TestEnv,
    during: impl std::future::Future<Output = T>,
) -> T {
    use sea_orm::ConnectionTrait;
    let name = env
        .database_url
        .rsplit_once('/')
        .map_or("", |(_, name)| name)
        .to_owned();
    let admin = sea_orm::Database::connect(&crate::helpers::postgres_admin_url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let run = |sql: String| {
        let admin = &admin;
        async move {
            admin
                .execute_unprepared(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    };
    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    run(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .await;
    let result = during.await;
    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    result
}

/// While the database is unreachable, the token endpoint answers as RFC 6749 §5.2 shapes its
/// errors (JSON, not a page), with 503 `temporarily_unavailable` and `Retry-After`, for the
/// password grant and a client's own grant alike; once it is back, both work again without a
/// restart.
#[actix_web::test]
async fn the_token_endpoint_says_when_the_database_is_unreachable_on_postgres() {
    let env = TestEnv::new(Backend::Postgres).await;
    let app = start_in(&env, true).await;
    let client_credentials = || async {
        let response = app
            .http
            .post(format!("{}/token", app.address))
            .basic_auth("modern", Some("modern-client-secret-0123456789abcdef"))
            .form(&[("grant_type", "client_credentials"), ("scope", "reports")])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let retry = response.headers().contains_key("retry-after");
        (
            response.status(),
            retry,
            response.json::<Value>().await.ok(),
        )
    };
    assert_eq!(client_credentials().await.0, StatusCode::OK);
    let (down, machine) = while_the_database_is_down(&env, async {
        (
            password(&app, "legacy", "alice", "alice's long password").await,
            client_credentials().await,
        )
    })
    .await;
    assert_eq!(down.0, StatusCode::SERVICE_UNAVAILABLE, "{}", down.1);
    assert_eq!(down.1["error"], "temporarily_unavailable");
    let (status, retry, body) = machine;
    assert_eq!(
        (status, retry),
        (StatusCode::SERVICE_UNAVAILABLE, true),
        "{body:?}"
    );
    assert_eq!(
        body.as_ref().map(|b| b["error"].clone()),
        Some(Value::from("temporarily_unavailable"))
    );

    // Back: a pooled connection the outage ended fails its next statement, answered as an OAuth
    // error (503 before the grant wrote anything, 500 after, where a retry could look like a
    // replay) and never as a page; within a few requests every answer is a success again.
    let mut answers = Vec::new();
    for _ in 0..10 {
        let (status, body) = password(&app, "legacy", "alice", "alice's long password").await;
        answers.push(status);
        if status == StatusCode::OK {
            break;
        }
        assert!(
            [
                StatusCode::SERVICE_UNAVAILABLE,
                StatusCode::INTERNAL_SERVER_ERROR
            ]
            .contains(&status)
                && ["temporarily_unavailable", "server_error"]
                    .contains(&body["error"].as_str().unwrap_or_default()),
            "{status} {body}"
        );
        assert!(
            !body.to_string().contains("valet_test"),
            "no database text: {body}"
        );
    }
    assert_eq!(answers.last(), Some(&StatusCode::OK), "{answers:?}");
    for _ in 0..5 {
        assert_eq!(client_credentials().await.0, StatusCode::OK);
        let (status, tokens) = password(&app, "legacy", "alice", "alice's long password").await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
    }
}
