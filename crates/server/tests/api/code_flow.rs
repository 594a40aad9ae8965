//! The authorization code flow through real HTTP: authorize → login → consent → code → token →
//! userinfo, and the answers the specs require for hostile or malformed requests.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::Value;

use crate::browser::{Browser, Page};
use crate::helpers::{Backend, TestApp, TestEnv};

const SECRET: &str = "web-client-secret-0123456789abcdef";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://web.example/cb";

const PROVISION: &str = r#"
[[clients]]
client_id = "web"
client_name = "Web <App>"
client_secret = "web-client-secret-0123456789abcdef"
redirect_uris = ["https://web.example/cb", "https://web.example/other?x=1"]
grant_types = ["authorization_code", "refresh_token"]

[[clients]]
client_id = "batch"
client_name = "Batch"
client_secret = "batch-client-secret-0123456789abcdef"
grant_types = ["client_credentials"]
scope = "reports:read reports:write openid"

[[clients]]
client_id = "signed"
client_name = "Signed userinfo"
client_secret = "signed-client-secret-0123456789abcdef"
redirect_uris = ["https://signed.example/cb"]
first_party = true
userinfo_signed_response_alg = "RS256"

[[users]]
username = "alice"
password = "alice's long password"
claims = { email = "alice@example.com", email_verified = true, name = "Alice Liddell" }
"#;

async fn start(backend: Backend) -> (TestEnv, TestApp) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    (env, app)
}

fn authorize_url(app: &TestApp, extra: &str) -> String {
    format!(
        "{}/authorize?client_id=web&redirect_uri={}&response_type=code&scope=openid%20email%20profile&state=st%20%2B~128&nonce=n-0S6&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        app.address,
        urlencode(REDIRECT)
    )
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Logs in and consents; returns the page that redirects to the client.
async fn login_and_consent(browser: &mut Browser, app: &TestApp, url: &str) -> Page {
    let login = browser.get(url).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let interaction = login.interaction();
    assert!(
        login.body.contains("Web &lt;App&gt;"),
        "the client name is escaped"
    );
    let consent = browser
        .post(
            &format!("{interaction}/login"),
            &[
                ("csrf", &login.field("csrf")),
                ("username", "alice"),
                ("password", "alice's long password"),
            ],
        )
        .await;
    assert_eq!(consent.status, StatusCode::SEE_OTHER, "{}", consent.body);
    let consent_page = browser.get(&interaction).await;
    assert!(
        consent_page.body.contains("email address"),
        "the consent page names the scopes in words"
    );
    let done = browser
        .post(
            &format!("{interaction}/consent"),
            &[("csrf", &consent_page.field("csrf")), ("decision", "allow")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(
        done.location
            .as_deref()
            .is_some_and(|l| l.starts_with(REDIRECT)),
        "{:?}",
        done.location
    );
    let _ = app;
    done
}

async fn token(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut request = app.http.post(format!("{}/token", app.address)).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = response.status();
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    (status, response.json().await.unwrap_or_default())
}

fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap_or_default()).unwrap_or_default()
}

async fn redeem(app: &TestApp, code: &str) -> (StatusCode, Value) {
    token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
        Some(("web", SECRET)),
    )
    .await
}

async fn userinfo(app: &TestApp, access_token: &str) -> reqwest::Response {
    app.http
        .get(format!("{}/userinfo", app.address))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn the_full_code_flow_issues_verified_tokens(backend: Backend) {
    let (_env, app) = start(backend).await;
    let mut browser = Browser::new();
    let done = login_and_consent(&mut browser, &app, &authorize_url(&app, "")).await;
    assert_eq!(
        done.location_param("state").as_deref(),
        Some("st +~128"),
        "state echoed byte-exact"
    );
    assert_eq!(
        done.location_param("iss").as_deref(),
        Some(app.address.as_str()),
        "RFC 9207 iss"
    );
    let code = done.location_param("code").unwrap_or_default();
    assert!(code.len() >= 43, "a 256-bit code");

    let (status, tokens) = redeem(&app, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 600);
    assert!(
        tokens.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
    let id = jwt_claims(tokens["id_token"].as_str().unwrap_or_default());
    assert_eq!(id["iss"], app.address.as_str());
    assert_eq!(id["aud"], "web");
    assert_eq!(id["azp"], "web");
    assert_eq!(id["nonce"], "n-0S6");
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert!(id["at_hash"].is_string() && id["sid"].is_string() && id["auth_time"].is_i64());
    assert!(
        id.get("email").is_none(),
        "scope claims go to userinfo when an access token is issued"
    );
    let at = jwt_claims(tokens["access_token"].as_str().unwrap_or_default());
    assert_eq!(at["client_id"], "web");
    assert_eq!(at["sub"], id["sub"]);

    let info = userinfo(&app, tokens["access_token"].as_str().unwrap_or_default()).await;
    assert_eq!(info.status(), StatusCode::OK);
    let info: Value = info.json().await.unwrap_or_default();
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["name"], "Alice Liddell");

    // A second request from the same browser: SSO session and remembered consent, no pages.
    let again = browser.get(&authorize_url(&app, "")).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(
        again.location_param("code").is_some(),
        "{:?}",
        again.location
    );
    let silent = browser.get(&authorize_url(&app, "&prompt=none")).await;
    assert!(
        silent.location_param("code").is_some(),
        "prompt=none succeeds when logged in and consented"
    );

    // Signed in already and asked to consent again (as for an app not yet granted): the consent
    // page comes straight from /authorize, and allowing it issues a code for the session's user.
    let asked = browser.get(&authorize_url(&app, "&prompt=consent")).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(asked.body.contains("email address"), "{}", asked.body);
    let done = browser
        .post(
            &format!("{}/consent", asked.interaction()),
            &[("csrf", &asked.field("csrf")), ("decision", "allow")],
        )
        .await;
    let code = done
        .location_param("code")
        .unwrap_or_else(|| panic!("{:?} {}", done.location, done.body));
    let (status, tokens) = redeem(&app, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let again = jwt_claims(tokens["id_token"].as_str().unwrap_or_default());
    assert_eq!(
        (&again["sub"], &again["sid"]),
        (&id["sub"], &id["sid"]),
        "the same session"
    );
}

async fn a_reused_code_is_refused_and_revokes_its_tokens(backend: Backend) {
    let (_env, app) = start(backend).await;
    let mut browser = Browser::new();
    let done = login_and_consent(&mut browser, &app, &authorize_url(&app, "")).await;
    let code = done.location_param("code").unwrap_or_default();
    let (_, tokens) = redeem(&app, &code).await;
    let access_token = tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(userinfo(&app, &access_token).await.status(), StatusCode::OK);
    let (status, error) = redeem(&app, &code).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let refused = userinfo(&app, &access_token).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

/// Parallel redemptions of one code: one wins, and each loser's replay revokes exactly what the winner
/// got, since the winner's tokens are recorded with its claim on the code.
async fn parallel_redemptions_of_one_code_issue_once_and_revoke_the_winners_tokens(
    backend: Backend,
) {
    let (_env, app) = start(backend).await;
    let code = offline_code(&app).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let mut won = Vec::new();
    let mut refused = 0;
    for answer in parallel_token_requests(&app, 20, &form).await {
        match answer {
            (StatusCode::OK, tokens) => won.push(tokens),
            (StatusCode::BAD_REQUEST, error) if error["error"] == "invalid_grant" => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((won.len(), refused), (1, 19));
    let access_token = won[0]["access_token"].as_str().unwrap_or_default();
    assert_eq!(
        userinfo(&app, access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let refresh_token = won[0]["refresh_token"].as_str().unwrap_or_default();
    assert!(!refresh_token.is_empty(), "{}", won[0]);
    let (status, body) = refresh_with(&app, refresh_token, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{body}"
    );
}

async fn token_requests_must_match_the_code_bindings(backend: Backend) {
    let (_env, app) = start(backend).await;
    let mut browser = Browser::new();
    let done = login_and_consent(&mut browser, &app, &authorize_url(&app, "")).await;
    let code = done.location_param("code").unwrap_or_default();
    let base = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, e) = token(&app, &base, Some(("web", "wrong secret"))).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let wrong_verifier = [
        base[0],
        base[1],
        base[2],
        (
            "code_verifier",
            "a-wrong-verifier-of-enough-length-0123456789abc",
        ),
    ];
    let (status, e) = token(&app, &wrong_verifier, Some(("web", SECRET))).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // Rejected requests write nothing: the code still works for its rightful client.
    let (status, tokens) = redeem(&app, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (status, e) = redeem(&app, &code).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, e) = token(&app, &[("grant_type", "password")], Some(("web", SECRET))).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
}

async fn errors_that_cannot_be_trusted_to_a_redirect_are_pages(backend: Backend) {
    let (_env, app) = start(backend).await;
    let mut browser = Browser::new();
    let unknown = browser
        .get(&format!(
            "{}/authorize?client_id=nobody&response_type=code&scope=openid",
            app.address
        ))
        .await;
    assert_eq!(
        (unknown.status, unknown.location),
        (StatusCode::BAD_REQUEST, None)
    );
    let bad_uri = authorize_url(&app, "").replace(
        &urlencode(REDIRECT),
        &urlencode("https://web.example/cb/extra"),
    );
    let page = browser.get(&bad_uri).await;
    assert_eq!(
        (page.status, page.location.is_none()),
        (StatusCode::BAD_REQUEST, true)
    );
    assert!(page.body.contains("<h1"), "an HTML page a user can read");
}

async fn other_errors_go_back_to_the_client_with_state(backend: Backend) {
    let (_env, app) = start(backend).await;
    let mut browser = Browser::new();
    let silent = browser.get(&authorize_url(&app, "&prompt=none")).await;
    assert_eq!(
        silent.location_param("error").as_deref(),
        Some("login_required")
    );
    assert_eq!(silent.location_param("state").as_deref(), Some("st +~128"));
    assert!(silent.location_param("code").is_none());
    let missing = browser
        .get(&authorize_url(&app, "").replace("response_type=code&", ""))
        .await;
    assert_eq!(
        missing.location_param("error").as_deref(),
        Some("invalid_request")
    );
    let form_post = browser
        .get(&authorize_url(&app, "&prompt=none&response_mode=form_post"))
        .await;
    assert_eq!(form_post.status, StatusCode::OK);
    assert!(
        form_post.body.contains("action=\"https://web.example/cb\"")
            && form_post.body.contains("login_required"),
        "{}",
        form_post.body
    );
}

async fn denying_consent_returns_access_denied(backend: Backend) {
    let (_env, app) = start(backend).await;
    let mut browser = Browser::new();
    let (interaction, _) = browser
        .sign_in(
            &authorize_url(&app, ""),
            "alice@EXAMPLE.com",
            "alice's long password",
        )
        .await;
    let consent = browser.get(&interaction).await;
    let denied = browser
        .post(
            &format!("{interaction}/consent"),
            &[("csrf", &consent.field("csrf")), ("decision", "deny")],
        )
        .await;
    assert_eq!(
        denied.location_param("error").as_deref(),
        Some("access_denied")
    );
}

async fn forms_need_their_csrf_token_and_browser(backend: Backend) {
    let (_env, app) = start(backend).await;
    let mut browser = Browser::new();
    let interaction = browser.get(&authorize_url(&app, "")).await.interaction();
    let forged = browser
        .post(
            &format!("{interaction}/login"),
            &[
                ("csrf", "forged"),
                ("username", "alice"),
                ("password", "alice's long password"),
            ],
        )
        .await;
    assert_eq!(
        (forged.status, forged.location),
        (StatusCode::BAD_REQUEST, None)
    );
    let csrf = browser.get(&interaction).await.field("csrf");
    let wrong = browser
        .post(
            &format!("{interaction}/login"),
            &[("csrf", &csrf), ("username", "alice"), ("password", "nope")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("role=\"alert\""));
    let mut other_browser = Browser::new();
    let stolen = other_browser.get(&interaction).await;
    assert_eq!(
        stolen.status,
        StatusCode::BAD_REQUEST,
        "an interaction URL is bound to its browser"
    );
}

async fn stored_interactions(env: &TestEnv) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = valet_store::Database::connect(&env.database_url, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let conn = db.connection();
    let sql = "SELECT COUNT(*) AS n FROM interactions";
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no count"));
    row.try_get::<i64>("", "n")
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A login page is carried by its address (sealed, and bound to its browser's cookie): nothing is
/// stored until the password is right and the interaction moves on. Posted again after that, it
/// moves on again. A request too large to carry in an address is stored from the start.
async fn a_login_page_is_carried_by_its_address_until_it_moves_on(backend: Backend) {
    let (env, app) = start(backend).await;
    let mut browser = Browser::new();
    let login = browser.get(&authorize_url(&app, "")).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let interaction = login.interaction();
    assert!(interaction.contains("/interaction/s1."), "{interaction}");
    assert_eq!(
        stored_interactions(&env).await,
        0,
        "a login page writes nothing"
    );

    let mut other = Browser::new();
    assert_eq!(
        other.get(&authorize_url(&app, "")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        other.get(&interaction).await.status,
        StatusCode::BAD_REQUEST,
        "another browser's interaction cookie does not open it"
    );

    let form = [
        ("csrf", login.field("csrf")),
        ("username", "alice".to_owned()),
        ("password", "alice's long password".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let moved = browser.post(&format!("{interaction}/login"), &form).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert_eq!(
        stored_interactions(&env).await,
        1,
        "consent is next: stored"
    );
    assert!(browser.get(&interaction).await.body.contains("decision"));
    let again = browser.post(&format!("{interaction}/login"), &form).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(stored_interactions(&env).await, 1, "the same interaction");
    let consent = browser.get(&interaction).await;
    let done = browser
        .post(
            &format!("{interaction}/consent"),
            &[("csrf", &consent.field("csrf")), ("decision", "allow")],
        )
        .await;
    assert!(
        done.location
            .as_deref()
            .is_some_and(|l| l.starts_with(REDIRECT) && l.contains("code=")),
        "{:?}",
        done.location
    );
    assert_eq!(stored_interactions(&env).await, 0, "done: deleted");

    let padding = "x".repeat(5000);
    let large = authorize_url(&app, &format!("&extension={padding}"));
    let mut browser = Browser::new();
    let login = browser.get(&large).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert!(!login.interaction().contains("/interaction/s1."));
    assert_eq!(stored_interactions(&env).await, 1, "too large to carry");
    let (_, done) = browser
        .sign_in(&large, "alice", "alice's long password")
        .await;
    assert!(
        done.location.is_some_and(|l| l.contains("code=")),
        "consented already: the code"
    );
    assert_eq!(
        stored_interactions(&env).await,
        1,
        "the first page's is left"
    );
}

/// A GET of /authorize that needs the user answers with the login page itself, bound to this browser;
/// a POST redirects to the interaction's page (so that reloading it does not post the request again).
async fn authorize_shows_the_login_page_or_redirects_a_post_to_it(backend: Backend) {
    let (_env, app) = start(backend).await;
    let mut browser = Browser::new();
    let login = browser.get(&authorize_url(&app, "")).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let interaction = login.interaction();
    assert!(
        interaction.starts_with(&format!("{}/interaction/", app.address)),
        "{interaction}"
    );
    assert!(
        login.csp.contains("form-action 'self' https://web.example"),
        "{}",
        login.csp
    );
    let again = browser.get(&interaction).await;
    assert_eq!(
        (again.status, again.field("csrf")),
        (StatusCode::OK, login.field("csrf")),
        "the same interaction, shown at its own address to the browser holding its cookie"
    );
    assert_eq!(
        Browser::new().get(&interaction).await.status,
        StatusCode::BAD_REQUEST,
        "and to no other"
    );

    let query = authorize_url(&app, "");
    let (endpoint, params) = query.split_once('?').unwrap_or_default();
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(params.as_bytes())
        .into_owned()
        .collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let posted = browser.post(endpoint, &fields).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let page = posted.location.unwrap_or_default();
    assert!(
        page.starts_with(&format!("{}/interaction/", app.address)),
        "{page}"
    );
    let shown = browser.get(&page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("name=\"password\""), "the login page");
}

async fn client_credentials_issue_a_client_token(backend: Backend) {
    let (_env, app) = start(backend).await;
    let secret = ("batch", "batch-client-secret-0123456789abcdef");
    let (status, tokens) = token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "reports:read"),
        ],
        Some(secret),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert!(tokens.get("refresh_token").is_none() && tokens.get("id_token").is_none());
    let at = jwt_claims(tokens["access_token"].as_str().unwrap_or_default());
    assert_eq!(
        (at["sub"].as_str(), at["scope"].as_str()),
        (Some("batch"), Some("reports:read"))
    );
    let (status, e) = token(
        &app,
        &[("grant_type", "client_credentials"), ("scope", "admin")],
        Some(secret),
    )
    .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    let (_, all) = token(&app, &[("grant_type", "client_credentials")], Some(secret)).await;
    assert_eq!(
        all["scope"], "reports:read reports:write",
        "user scopes never go to a client token"
    );
    assert_eq!(
        userinfo(&app, tokens["access_token"].as_str().unwrap_or_default())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, e) = token(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("web", SECRET)),
    )
    .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client"))
    );
}

async fn userinfo_is_a_signed_jwt_when_the_client_registered_an_alg(backend: Backend) {
    let (_env, app) = start(backend).await;
    let mut browser = Browser::new();
    let url = format!(
        "{}/authorize?client_id=signed&redirect_uri={}&response_type=code&scope=openid%20email&code_challenge={CHALLENGE}&code_challenge_method=S256",
        app.address,
        urlencode("https://signed.example/cb")
    );
    let (_, done) = browser
        .sign_in(&url, "alice", "alice's long password")
        .await;
    let code = done.location_param("code").unwrap_or_else(|| {
        panic!(
            "a first-party client gets its code at once: {:?}",
            done.location
        )
    });
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://signed.example/cb"),
        ("code_verifier", VERIFIER),
    ];
    let (status, tokens) = token(
        &app,
        &form,
        Some(("signed", "signed-client-secret-0123456789abcdef")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let response = userinfo(&app, tokens["access_token"].as_str().unwrap_or_default()).await;
    assert_eq!(response.headers()["content-type"], "application/jwt");
    let jwt = response.text().await.unwrap_or_default();
    let jwks = app.get_json("/jwks").await;
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().unwrap_or_default())
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(header["alg"], "RS256");
    let key = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|k| k["kid"] == header["kid"])
        .cloned()
        .unwrap_or_default();
    let jwk = josekit::jwk::Jwk::from_map(key.as_object().cloned().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let verifier = josekit::jws::RS256
        .verifier_from_jwk(&jwk)
        .unwrap_or_else(|e| panic!("{e}"));
    let (payload, _) = josekit::jws::deserialize_compact(&jwt, &verifier)
        .unwrap_or_else(|e| panic!("signature: {e}"));
    let claims: Value = serde_json::from_slice(&payload).unwrap_or_default();
    assert_eq!(
        (claims["iss"].as_str(), claims["aud"].as_str()),
        (Some(app.address.as_str()), Some("signed"))
    );
    assert_eq!(claims["email"], "alice@example.com");
    assert!(claims.get("nonce").is_none());
}

/// A code for `openid email offline_access`, from a new browser's login and consent.
async fn offline_code(app: &TestApp) -> String {
    let mut browser = Browser::new();
    let url = authorize_url(app, "").replace(
        "scope=openid%20email%20profile",
        "scope=openid%20email%20offline_access",
    );
    let done = login_and_consent(&mut browser, app, &url).await;
    done.location_param("code").unwrap_or_default()
}

async fn offline_tokens(app: &TestApp) -> Value {
    let (status, tokens) = redeem(app, &offline_code(app).await).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens
}

/// `n` token requests of client `web` with `form`, sent at once; their answers (a request that
/// got no answer counts as a 500).
async fn parallel_token_requests(
    app: &TestApp,
    n: usize,
    form: &[(&str, &str)],
) -> Vec<(StatusCode, Value)> {
    let form: Vec<(String, String)> = form
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let attempts: Vec<_> = (0..n)
        .map(|_| {
            let (http, address, form) = (app.http.clone(), app.address.clone(), form.clone());
            actix_web::rt::spawn(async move {
                let response = http
                    .post(format!("{address}/token"))
                    .basic_auth("web", Some(SECRET))
                    .form(&form)
                    .send()
                    .await;
                match response {
                    Ok(r) => (r.status(), r.json::<Value>().await.unwrap_or_default()),
                    Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, Value::Null),
                }
            })
        })
        .collect();
    let mut answers = Vec::new();
    for attempt in attempts {
        answers.push(
            attempt
                .await
                .unwrap_or((StatusCode::INTERNAL_SERVER_ERROR, Value::Null)),
        );
    }
    answers
}

async fn refresh_with(
    app: &TestApp,
    refresh_token: &str,
    scope: Option<&str>,
) -> (StatusCode, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    token(app, &form, Some(("web", SECRET))).await
}

async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_chain(backend: Backend) {
    let (_env, app) = start(backend).await;
    let first = offline_tokens(&app).await;
    let rt1 = first["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !rt1.is_empty(),
        "offline_access + the refresh_token grant yields a refresh token"
    );
    let (status, second) = refresh_with(&app, &rt1, Some("openid email")).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let rt2 = second["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(rt1, rt2, "rotated on every use");
    assert_eq!(
        second["scope"], "openid email",
        "a refresh may narrow the scope"
    );
    let before = jwt_claims(first["id_token"].as_str().unwrap_or_default());
    let after = jwt_claims(second["id_token"].as_str().unwrap_or_default());
    assert_eq!(
        (after["sub"].clone(), after["auth_time"].clone()),
        (before["sub"].clone(), before["auth_time"].clone())
    );
    let (status, e) = refresh_with(&app, &rt2, Some("openid phone")).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope")),
        "never widened"
    );
    // rt1 again: reuse. The chain dies, so rt2 (still unused) dies with it.
    let (status, e) = refresh_with(&app, &rt1, None).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, e) = refresh_with(&app, &rt2, None).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, e) = token(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt2.as_str()),
        ],
        Some(("batch", "batch-client-secret-0123456789abcdef")),
    )
    .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client"))
    );
}

async fn fifty_parallel_refreshes_of_one_token_succeed_once(backend: Backend) {
    let (_env, app) = start(backend).await;
    let tokens = offline_tokens(&app).await;
    let rt = tokens["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let mut statuses = Vec::new();
    let mut successor = None;
    for (status, body) in parallel_token_requests(&app, 50, &form).await {
        if status == StatusCode::OK {
            successor = body["refresh_token"].as_str().map(str::to_owned);
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::BAD_REQUEST)
            .count(),
        49,
        "{statuses:?}"
    );
    // The others presented a rotated token: the chain is revoked, the winner's successor with it
    // (written with the rotation, so always there when a loser revokes the chain).
    let successor = successor.unwrap_or_else(|| panic!("the winner got a refresh token"));
    let (status, body) = refresh_with(&app, &successor, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{body}"
    );
}

async fn post_form(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut request = app.http.post(format!("{}{path}", app.address)).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn introspection_reports_live_tokens_and_revocation_ends_them(backend: Backend) {
    let (_env, app) = start(backend).await;
    let tokens = offline_tokens(&app).await;
    let at = tokens["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let rt = tokens["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let batch = Some(("batch", "batch-client-secret-0123456789abcdef"));
    // A resource server (any confidential client) introspects.
    let (status, active) = post_form(&app, "/introspect", &[("token", &at)], batch).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (active["active"].as_bool(), active["client_id"].as_str()),
        (Some(true), Some("web"))
    );
    assert!(
        active["scope"]
            .as_str()
            .is_some_and(|s| s.contains("offline_access"))
            && active["exp"].is_i64()
    );
    let (_, refresh) = post_form(
        &app,
        "/introspect",
        &[("token", &rt), ("token_type_hint", "refresh_token")],
        batch,
    )
    .await;
    assert_eq!(
        (refresh["active"].as_bool(), refresh["token_type"].as_str()),
        (Some(true), Some("refresh_token"))
    );
    let (_, unknown) = post_form(&app, "/introspect", &[("token", "not-a-token")], batch).await;
    assert_eq!(unknown, serde_json::json!({ "active": false }));
    let (status, _) = post_form(&app, "/introspect", &[("token", &at)], None).await;
    assert!(
        status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST,
        "an anonymous caller is refused: {status}"
    );

    // Another client may not revoke web's tokens, and nothing happens.
    let (status, e) = post_form(&app, "/revoke", &[("token", &at)], batch).await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    assert_eq!(
        post_form(&app, "/introspect", &[("token", &at)], batch)
            .await
            .1["active"],
        true
    );
    // The owner revokes: the access token is dead at introspection and userinfo at once.
    let (status, _) = post_form(
        &app,
        "/revoke",
        &[("token", &at), ("token_type_hint", "access_token")],
        Some(("web", SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        post_form(&app, "/introspect", &[("token", &at)], batch)
            .await
            .1["active"],
        false
    );
    assert_eq!(userinfo(&app, &at).await.status(), StatusCode::UNAUTHORIZED);
    // Revoking the refresh token revokes its chain.
    let (status, _) = post_form(&app, "/revoke", &[("token", &rt)], Some(("web", SECRET))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        refresh_with(&app, &rt, None).await.1["error"],
        "invalid_grant"
    );
    // Unknown tokens are a success (RFC 7009 §2.2).
    assert_eq!(
        post_form(
            &app,
            "/revoke",
            &[("token", "never-issued")],
            Some(("web", SECRET))
        )
        .await
        .0,
        StatusCode::OK
    );
}

async fn revoking_one_refresh_chain_leaves_the_others(backend: Backend) {
    let (_env, app) = start(backend).await;
    let first = offline_tokens(&app).await;
    // A second device: a new login, consent is remembered, so the code comes right after it.
    let mut device = Browser::new();
    let url = authorize_url(&app, "").replace(
        "scope=openid%20email%20profile",
        "scope=openid%20email%20offline_access",
    );
    let (_, done) = device.sign_in(&url, "alice", "alice's long password").await;
    let (_, second) = redeem(&app, &done.location_param("code").unwrap_or_default()).await;
    let rt1 = first["refresh_token"].as_str().unwrap_or_default();
    let rt2 = second["refresh_token"].as_str().unwrap_or_default();
    post_form(&app, "/revoke", &[("token", rt1)], Some(("web", SECRET))).await;
    assert_eq!(
        refresh_with(&app, rt1, None).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        refresh_with(&app, rt2, None).await.0,
        StatusCode::OK,
        "another device keeps its chain"
    );
}

crate::on_both_backends!(
    introspection_reports_live_tokens_and_revocation_ends_them,
    revoking_one_refresh_chain_leaves_the_others,
    userinfo_is_a_signed_jwt_when_the_client_registered_an_alg,
    refresh_tokens_rotate_and_a_reused_one_revokes_its_chain,
    fifty_parallel_refreshes_of_one_token_succeed_once,
    the_full_code_flow_issues_verified_tokens,
    a_reused_code_is_refused_and_revokes_its_tokens,
    parallel_redemptions_of_one_code_issue_once_and_revoke_the_winners_tokens,
    token_requests_must_match_the_code_bindings,
    errors_that_cannot_be_trusted_to_a_redirect_are_pages,
    other_errors_go_back_to_the_client_with_state,
    denying_consent_returns_access_denied,
    forms_need_their_csrf_token_and_browser,
    authorize_shows_the_login_page_or_redirects_a_post_to_it,
    a_login_page_is_carried_by_its_address_until_it_moves_on,
    client_credentials_issue_a_client_token
);
