//! The admin API over HTTP: who may call it, problem details for bad input, keyset pagination, audit
//! events for every mutation, and grant revocation with a dry run that cuts everything afterwards.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::helpers::{Backend, TestApp, TestEnv};
use crate::logout::{Receiver, enc, everything_is_cut, provision, sign_in};

const ADMIN_SECRET: &str = "automation-secret-0123456789abcdefgh";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CONSOLE_REDIRECT: &str = "https://console.example/cb";

fn admin_provision(backchannel: &str) -> String {
    format!(
        r#"{}
[[clients]]
client_id = "automation"
client_name = "Automation"
client_secret = "{ADMIN_SECRET}"
grant_types = ["client_credentials"]
scope = "valet:admin"

[[clients]]
client_id = "reports"
client_name = "Reports"
client_secret = "{ADMIN_SECRET}"
grant_types = ["client_credentials"]
scope = "reports:read"

[[clients]]
client_id = "console"
client_name = "Console"
token_endpoint_auth_method = "none"
redirect_uris = ["{CONSOLE_REDIRECT}"]
scope = "openid valet:admin"
first_party = true

[[clients]]
client_id = "legacy"
client_name = "Legacy"
client_secret = "{ADMIN_SECRET}"
redirect_uris = ["https://legacy.example/cb"]
require_pkce = false
refresh_token_idle_ttl_secs = 3600

[[users]]
username = "root"
password = "root's long password"
roles = ["admin"]

[[users]]
username = "bob"
password = "bob's long password"
"#,
        provision(backchannel)
    )
}

struct Admin {
    app: TestApp,
    token: String,
    env: TestEnv,
    receiver: Receiver,
}

impl Admin {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call(&self.app, &self.token, method, path, body).await
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

async fn call(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app
        .http
        .request(method, format!("{}/admin/api/v1{path}", app.address));
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = response.status();
    if status.is_client_error() {
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{path}"
        );
    }
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The console's way in: a user signs in through Valet (code + PKCE, public client).
async fn console_token(app: &TestApp, username: &str, password: &str, scope: &str) -> String {
    let mut browser = Browser::new();
    let url = format!(
        "{}/authorize?client_id=console&redirect_uri={}&response_type=code&scope={}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        app.address,
        enc(CONSOLE_REDIRECT),
        enc(scope)
    );
    let (_, done) = browser.sign_in(&url, username, password).await;
    let code = done
        .location_param("code")
        .unwrap_or_else(|| panic!("{:?}", done.location));
    let tokens: Value = app
        .http
        .post(format!("{}/token", app.address))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CONSOLE_REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", "console"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    tokens["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{tokens}"))
        .to_owned()
}

async fn start(backend: Backend) -> Admin {
    let receiver = Receiver::start();
    let env = TestEnv::new(backend).await;
    let app = env
        .start_as_issuer_with(
            &admin_provision(&receiver.url),
            &["--outbound-allow-networks", "127.0.0.0/8"],
        )
        .await;
    let token = app.client_credentials("automation", ADMIN_SECRET).await;
    Admin {
        app,
        token,
        env,
        receiver,
    }
}

async fn only_admins_and_admin_services_get_in(backend: Backend) {
    let admin = start(backend).await;
    let app = &admin.app;
    let overview = |token: String| async move {
        call(app, &token, reqwest::Method::GET, "/overview", None).await
    };
    let (status, problem) = overview(String::new()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["status"], 401);
    assert_eq!(
        overview("not.a.token".into()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        overview(app.client_credentials("reports", ADMIN_SECRET).await)
            .await
            .0,
        StatusCode::FORBIDDEN,
        "no valet:admin scope"
    );
    let bob = console_token(app, "bob", "bob's long password", "openid valet:admin").await;
    assert_eq!(
        overview(bob).await.0,
        StatusCode::FORBIDDEN,
        "not an administrator"
    );
    let root_without_scope = console_token(app, "root", "root's long password", "openid").await;
    assert_eq!(overview(root_without_scope).await.0, StatusCode::FORBIDDEN);
    let root = console_token(app, "root", "root's long password", "openid valet:admin").await;
    let (status, counts) = overview(root.clone()).await;
    assert_eq!(status, StatusCode::OK, "{counts}");
    assert!(counts["users"].as_u64() >= Some(3));
    assert_eq!(
        overview(admin.token.clone()).await.0,
        StatusCode::OK,
        "a service client"
    );

    // A revoked admin token is refused at once.
    let revoked = app
        .http
        .post(format!("{}/revoke", app.address))
        .form(&[("token", root.as_str()), ("client_id", "console")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(overview(root).await.0, StatusCode::UNAUTHORIZED);

    // The OpenAPI document describes the API; unknown paths are problems too.
    let doc: Value = app
        .http
        .get(format!("{}/admin/api/v1/openapi.json", app.address))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    assert!(doc["paths"]["/grants/{id}/revoke"]["post"].is_object());
    assert!(doc["components"]["schemas"]["RevocationView"].is_object());
    assert_eq!(
        admin.call(reqwest::Method::GET, "/nowhere", None).await.0,
        StatusCode::NOT_FOUND
    );
    let cors = app
        .http
        .get(format!("{}/admin/api/v1/overview", app.address))
        .bearer_auth(&admin.token)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        cors.headers().get("access-control-allow-origin").is_none(),
        "no CORS: same origin only"
    );
}

async fn clients_are_validated_changed_and_every_change_audited(backend: Backend) {
    let admin = start(backend).await;
    let bad = |patch: Value| {
        let mut body = json!({"client_id": "shop", "client_name": "Shop", "redirect_uris": ["https://shop.example/cb"]});
        if let (Value::Object(body), Value::Object(patch)) = (&mut body, patch) {
            body.extend(patch);
        }
        body
    };
    for (body, field) in [
        (
            bad(json!({"redirect_uris": ["https://shop.example/cb#frag"]})),
            "redirect_uris",
        ),
        (bad(json!({"grant_types": ["magic"]})), "grant_types"),
        (bad(json!({"client_id": "has space"})), "client_id"),
    ] {
        let (status, problem) = admin.post("/clients", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert!(
            problem["errors"][0]["field"]
                .as_str()
                .is_some_and(|f| f.starts_with(field)),
            "{problem}"
        );
    }
    let (status, problem) = admin
        .post(
            "/clients",
            json!({"client_id": "x", "client_name": "X", "surprise": 1}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown members are refused: {problem}"
    );

    let (status, created) = admin.post("/clients", bad(json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["client_secret"].as_str().map(str::len),
        Some(43),
        "shown once"
    );
    let (status, _) = admin.post("/clients", bad(json!({}))).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let mut edited = admin.get("/clients/shop").await;
    edited["client_name"] = json!("Shop & Co");
    for key in ["id", "public", "disabled", "created_at", "updated_at"] {
        edited.as_object_mut().map(|m| m.remove(key));
    }
    let (status, view) = admin
        .call(reqwest::Method::PUT, "/clients/shop", Some(edited))
        .await;
    assert_eq!(
        (status, view["client_name"].as_str()),
        (StatusCode::OK, Some("Shop & Co")),
        "{view}"
    );
    let (status, rotated) = admin
        .post("/clients/shop/secret", json!({"overlap_secs": 3600}))
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert!(rotated["previous_secret_expires_at"].is_string());
    let (status, cut) = admin.post("/clients/shop/disable", json!({})).await;
    assert_eq!(
        (status, cut["nothing_to_revoke"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(
        admin.post("/clients/shop/enable", json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        admin
            .call(reqwest::Method::DELETE, "/clients/shop", None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        admin
            .call(reqwest::Method::GET, "/clients/shop", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let audit = admin
        .get("/audit?actor=client:automation&target_type=client&limit=200")
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    for action in [
        "client.created",
        "client.updated",
        "client.secret_rotated",
        "client.disabled",
        "client.enabled",
        "client.deleted",
        "grants.revoked",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    let by_id = admin
        .get("/audit?target_type=client&target_id=shop&limit=200")
        .await;
    assert_eq!(
        by_id["items"].as_array().map(Vec::len),
        audit["items"].as_array().map(Vec::len),
        "every client event, the cascade's too, names the client by its client_id"
    );
}

async fn listings_page_by_cursor_and_search(backend: Backend) {
    let admin = start(backend).await;
    for (name, email) in [
        ("carol", "carol@example.com"),
        ("Dave", "dave@Example.org"),
        ("erin", "erin@example.com"),
        ("frank", "frank@example.net"),
    ] {
        let (status, created) = admin
            .post(
                "/users",
                json!({"username": name, "claims": {"email": email}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert!(
            created["password"].is_string(),
            "a generated password is shown once"
        );
    }
    let (status, problem) = admin
        .post(
            "/users",
            json!({"username": "gina", "claims": {"email": "not-an-email"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["errors"][0]["field"]
            .as_str()
            .is_some_and(|f| f.contains("email")),
        "{problem}"
    );
    assert_eq!(
        admin.post("/users", json!({"username": "carol"})).await.0,
        StatusCode::CONFLICT
    );

    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = admin.get(&format!("/users?limit=2{cursor}")).await;
        assert!(page["items"].as_array().is_some_and(|i| i.len() <= 2));
        seen.extend(
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|u| u["username"].as_str().map(str::to_owned)),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["alice", "bob", "carol", "dave", "erin", "frank", "root"],
        "every user once, in order"
    );
    let found = admin.get("/users?q=DAVE%40example").await;
    assert_eq!(
        found["items"].as_array().map(Vec::len),
        Some(1),
        "email prefix, case-insensitive: {found}"
    );
    assert_eq!(
        admin
            .call(reqwest::Method::GET, "/users?cursor=%2A%2A", None)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    let dave = found["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, view) = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/users/{dave}"),
            Some(json!({"roles": ["admin"], "claims": {"name": "Dave"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["roles"], json!(["admin"]));
    assert_eq!(view["claims"], json!({"name": "Dave"}));
    let (status, set) = admin
        .post(
            &format!("/users/{dave}/password"),
            json!({"password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{set}");
    assert_eq!(
        admin
            .call(reqwest::Method::DELETE, &format!("/users/{dave}"), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        admin
            .call(reqwest::Method::GET, &format!("/users/{dave}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let audit = admin
        .get("/audit?actor=client:automation&target_type=user&limit=200")
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    for action in [
        "user.created",
        "user.updated",
        "user.deleted",
        "access.revoked",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    assert!(
        !actions.contains(&"user.password_set"),
        "a refused password change writes nothing"
    );
}

async fn a_grant_revocation_says_what_it_will_cut_then_cuts_it(backend: Backend) {
    let admin = start(backend).await;
    let mut browser = Browser::new();
    let tokens = sign_in(&mut browser, &admin.app).await;
    let alice = admin.get("/users?q=alice").await["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let grants = admin
        .get(&format!("/grants?user_id={alice}&live=true"))
        .await;
    let grant = &grants["items"][0];
    assert_eq!(
        (
            grant["client_id"].as_str(),
            grant["live_refresh_tokens"].as_u64()
        ),
        (Some("web"), Some(1)),
        "{grants}"
    );
    let sessions = admin
        .get(&format!("/users/{alice}/sessions?active=true"))
        .await;
    assert_eq!(sessions["items"].as_array().map(Vec::len), Some(1));

    let path = format!(
        "/grants/{}/revoke",
        grant["id"].as_str().unwrap_or_default()
    );
    let (status, dry) = admin.post(&format!("{path}?dry_run=true"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(
        (
            dry["grants"].as_u64(),
            dry["refresh_tokens"].as_u64(),
            dry["notification_count"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(dry["notifications"], json!([]));
    assert_eq!(
        admin
            .get(&format!("/grants?user_id={alice}&live=true"))
            .await["items"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "a dry run changes nothing"
    );

    let (_, done) = admin.post(&path, json!({})).await;
    for key in [
        "grants",
        "refresh_tokens",
        "codes",
        "sessions",
        "notification_count",
    ] {
        assert_eq!(
            done[key], dry[key],
            "{key}: the dry run said exactly what would be cut"
        );
    }
    everything_is_cut(&admin.app, &tokens).await;
    assert_eq!(admin.receiver.wait_for(1, 10).await.len(), 1);
    let id = done["notifications"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut delivered = false;
    for _ in 0..50 {
        let list = admin.get("/notifications?status=delivered").await;
        if list["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|n| n["id"] == id.as_str()))
        {
            delivered = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(delivered, "the delivery status is visible");
    let (_, again) = admin.post(&path, json!({})).await;
    assert_eq!(
        again["nothing_to_revoke"], true,
        "revoking a revoked grant is a no-op that says so"
    );
    // Newest first: the no-op, then the revocation with its counts.
    let audit = admin.get("/audit?action=grants.revoked").await;
    assert_eq!(audit["items"][0]["details"]["grants"], 0);
    assert_eq!(audit["items"][1]["details"]["refresh_tokens"], 1);
    assert_eq!(audit["items"][1]["actor"], "client:automation");
}

async fn edits_keep_what_the_api_does_not_show_and_an_administrator_remains(backend: Backend) {
    let admin = start(backend).await;
    let mut legacy = admin.get("/clients/legacy").await;
    legacy["client_name"] = json!("Legacy (renamed)");
    for key in ["id", "public", "disabled", "created_at", "updated_at"] {
        legacy.as_object_mut().map(|m| m.remove(key));
    }
    let (status, view) = admin
        .call(reqwest::Method::PUT, "/clients/legacy", Some(legacy))
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let db = valet_store::Database::connect(&admin.env.database_url, 2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = valet_core::client::ClientId::parse("legacy").unwrap_or_else(|e| panic!("{e}"));
    let stored = valet_core::ports::ClientStore::find_client(&db, &id)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("legacy"));
    assert_eq!(stored.metadata.name, "Legacy (renamed)");
    assert!(
        !stored.metadata.require_pkce,
        "settings the API does not show are kept"
    );
    assert_eq!(
        stored.metadata.lifetimes.refresh_token_idle_secs,
        Some(3600)
    );

    let (status, problem) = admin
        .post("/clients", json!({"client_id": "huge", "client_name": "Huge", "redirect_uris": ["https://h.example/cb"], "access_token_ttl_secs": i64::MAX}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");

    // root is the only administrator: the API refuses to leave none.
    let root = admin.get("/users?q=root").await["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!("/users/{root}");
    let demote = admin
        .call(reqwest::Method::PATCH, &path, Some(json!({"roles": []})))
        .await;
    assert_eq!(demote.0, StatusCode::CONFLICT, "{}", demote.1);
    assert_eq!(
        admin.post(&format!("{path}/disable"), json!({})).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        admin.call(reqwest::Method::DELETE, &path, None).await.0,
        StatusCode::CONFLICT
    );
    let bob = admin.get("/users?q=bob").await["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, _) = admin
        .call(
            reqwest::Method::PATCH,
            &format!("/users/{bob}"),
            Some(json!({"roles": ["admin"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        admin.post(&format!("{path}/disable"), json!({})).await.0,
        StatusCode::OK,
        "bob is an administrator now"
    );
}

/// PostgreSQL's text cannot hold a NUL character (nor its timestamps a year before 4713 BC), and
/// refuses any statement that sends one: such input is the caller's error (400 on PostgreSQL, where
/// no earlier check refused it; SQLite matches it as any text), never
/// a failure of the service, and a client_id with one authenticates nothing on either backend
/// (`invalid_client`, 400 without an `Authorization` header: RFC 6749 §5.2).
async fn a_value_the_database_cannot_hold_is_a_bad_request_not_a_failure(backend: Backend) {
    let admin = start(backend).await;
    let app = &admin.app;
    let refused_on_postgres = |status: StatusCode, what: &str, on_sqlite: StatusCode| {
        let expected = match backend {
            Backend::Postgres => StatusCode::BAD_REQUEST,
            Backend::Sqlite => on_sqlite,
        };
        assert_eq!(status, expected, "{what}");
    };
    for path in ["/token", "/introspect", "/revoke"] {
        let response = app
            .http
            .post(format!("{}{path}", app.address))
            .form(&[
                ("grant_type", "client_credentials"),
                ("token", "x"),
                ("client_id", "auto\0mation"),
                ("client_secret", ADMIN_SECRET),
            ])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_default();
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::BAD_REQUEST, &json!("invalid_client")),
            "{path}: {body}"
        );
    }
    let (status, body) = admin
        .call(reqwest::Method::GET, "/users?q=a%00b", None)
        .await;
    refused_on_postgres(status, &format!("a search: {body}"), StatusCode::OK);
    // Names are checked for control characters before any store sees them: refused on both.
    let (status, body) = admin
        .post(
            "/users",
            json!({ "username": "nul", "password": "a long enough password", "claims": { "name": "a\u{0}b" } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a user's name: {body}");
    assert_eq!(body["errors"][0]["field"], "claims.name", "{body}");
    let (status, body) = admin
        .post(
            "/clients",
            json!({ "client_id": "nul", "client_name": "a\u{0}b", "redirect_uris": ["https://nul.example/cb"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a client's name: {body}");
    assert_eq!(body["errors"][0]["field"], "client_name", "{body}");
    let (status, body) = admin
        .call(reqwest::Method::GET, "/audit?actor=user:%00", None)
        .await;
    refused_on_postgres(status, &format!("an audit filter: {body}"), StatusCode::OK);
    // Likewise an instant PostgreSQL's timestamps cannot hold (before 4713 BC).
    let (status, body) = admin
        .call(
            reqwest::Method::GET,
            "/audit?from=-5000-01-01T00:00:00Z",
            None,
        )
        .await;
    refused_on_postgres(status, &format!("an audit period: {body}"), StatusCode::OK);
}

crate::on_both_backends!(
    only_admins_and_admin_services_get_in,
    clients_are_validated_changed_and_every_change_audited,
    listings_page_by_cursor_and_search,
    a_grant_revocation_says_what_it_will_cut_then_cuts_it,
    edits_keep_what_the_api_does_not_show_and_an_administrator_remains,
    a_value_the_database_cannot_hold_is_a_bad_request_not_a_failure
);
