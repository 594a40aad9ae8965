//! Logout and revocation through real HTTP: RP-initiated logout with and without a hint, back-channel
//! logout tokens received by a relying party, front-channel frames, and the grant revocation cascade
//! reaching refresh, introspection and userinfo on the next request.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::Value;
use valet_core::audit::Actor;
use valet_core::revocation::{Cascade, Grants, cascade};

use crate::browser::{Browser, Page};
use crate::helpers::{Backend, TestApp, TestEnv};

const SECRET: &str = "web-client-secret-0123456789abcdef";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://web.example/cb";
pub(crate) const AFTER: &str = "https://web.example/after-logout";
/// The conformance suite's kind of state: punctuation that must survive encoding byte for byte.
const STATE: &str = "abcXYZ0123!\"#$%&'()*,-./:<=>?@[\\]^_`{|}~";

/// A relying party's back-channel logout endpoint: records every POST body.
pub(crate) struct Receiver {
    pub(crate) url: String,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    pub(crate) fn start() -> Self {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&bodies);
        let server = HttpServer::new(move || {
            let kept = Arc::clone(&kept);
            App::new().route(
                "/bcl",
                web::post().to(move |body: String| {
                    let kept = Arc::clone(&kept);
                    async move {
                        kept.lock().unwrap_or_else(|p| p.into_inner()).push(body);
                        HttpResponse::Ok()
                            .insert_header(("Cache-Control", "no-store"))
                            .finish()
                    }
                }),
            )
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("{e}"));
        let addr = server.addrs()[0];
        actix_web::rt::spawn(server.run());
        Self {
            url: format!("http://{addr}/bcl"),
            bodies,
        }
    }

    pub(crate) fn received(&self) -> Vec<String> {
        self.bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits up to `secs` for the `n`th delivery.
    pub(crate) async fn wait_for(&self, n: usize, secs: u64) -> Vec<String> {
        for _ in 0..secs * 10 {
            if self.received().len() >= n {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        self.received()
    }
}

pub(crate) fn provision(backchannel: &str) -> String {
    format!(
        r#"
[[clients]]
client_id = "web"
client_name = "Web"
client_secret = "{SECRET}"
redirect_uris = ["{REDIRECT}"]
post_logout_redirect_uris = ["{AFTER}"]
grant_types = ["authorization_code", "refresh_token"]
always_issue_refresh_token = true
backchannel_logout_uri = "{backchannel}"
backchannel_logout_session_required = true

[[clients]]
client_id = "framed"
client_name = "Framed"
client_secret = "{SECRET}"
redirect_uris = ["https://framed.example/cb"]
post_logout_redirect_uris = ["https://framed.example/after"]
frontchannel_logout_uri = "https://framed.example/fcl"
frontchannel_logout_session_required = true
first_party = true

[[users]]
username = "alice"
password = "alice's long password"
"#
    )
}

async fn start(backend: Backend, receiver: &Receiver) -> (TestEnv, TestApp) {
    let env = TestEnv::new(backend).await;
    let app = env
        .start_as_issuer_with(
            &provision(&receiver.url),
            &["--outbound-allow-networks", "127.0.0.0/8"],
        )
        .await;
    (env, app)
}

pub(crate) fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn authorize_url(app: &TestApp, extra: &str) -> String {
    format!(
        "{}/authorize?client_id=web&redirect_uri={}&response_type=code&scope=openid&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        app.address,
        enc(REDIRECT)
    )
}

/// Logs alice in (consenting when asked); returns the tokens of the code exchange.
pub(crate) async fn sign_in(browser: &mut Browser, app: &TestApp) -> Value {
    let (interaction, mut done) = browser
        .sign_in(&authorize_url(app, ""), "alice", "alice's long password")
        .await;
    // Consent is asked once per user and client; later sign-ins skip it.
    if !done
        .location
        .as_deref()
        .is_some_and(|l| l.starts_with(REDIRECT))
    {
        let consent = browser.get(&interaction).await;
        done = browser
            .post(
                &format!("{interaction}/consent"),
                &[("csrf", &consent.field("csrf")), ("decision", "allow")],
            )
            .await;
    }
    let code = done
        .location_param("code")
        .unwrap_or_else(|| panic!("no code: {:?}", done.location));
    let (status, tokens) = token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens
}

pub(crate) async fn token(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = app
        .http
        .post(format!("{}/token", app.address))
        .basic_auth("web", Some(SECRET))
        .form(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (response.status(), response.json().await.unwrap_or_default())
}

fn pairs<'a>(form: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

pub(crate) fn part(jwt: &str, n: usize) -> Value {
    let part = jwt.split('.').nth(n).unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap_or_default()).unwrap_or_default()
}

/// What a relying party sees of Valet after a revocation: refresh, introspection, userinfo.
pub(crate) async fn everything_is_cut(app: &TestApp, tokens: &Value) {
    let refresh = tokens["refresh_token"].as_str().unwrap_or_default();
    let (status, body) = token(
        app,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let access = tokens["access_token"].as_str().unwrap_or_default();
    let introspection: Value = app
        .http
        .post(format!("{}/introspect", app.address))
        .basic_auth("web", Some(SECRET))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(introspection, serde_json::json!({ "active": false }));
    let userinfo = app
        .http
        .get(format!("{}/userinfo", app.address))
        .bearer_auth(access)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
}

/// OIDC Back-Channel Logout 1.0 §2.4 claims, for `sid` of the ID token.
pub(crate) fn assert_logout_token(body: &str, app: &TestApp, id_token: &str) {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(form.len(), 1, "only logout_token: {body}");
    assert_eq!(form[0].0, "logout_token");
    let jwt = &form[0].1;
    let (header, claims, id) = (part(jwt, 0), part(jwt, 1), part(id_token, 1));
    assert_eq!(header["typ"], "logout+jwt");
    assert_eq!(header["alg"], "RS256", "the client's ID token algorithm");
    assert_eq!(claims["iss"], app.address.as_str());
    assert_eq!(claims["aud"], "web");
    assert_eq!(claims["sub"], id["sub"]);
    assert_eq!(claims["sid"], id["sid"]);
    assert!(claims["jti"].is_string() && claims["iat"].is_i64() && claims["exp"].is_i64());
    assert_eq!(
        claims["events"],
        serde_json::json!({"http://schemas.openid.net/event/backchannel-logout": {}})
    );
    assert!(claims.get("nonce").is_none());
}

async fn prompt_none(browser: &mut Browser, app: &TestApp) -> Page {
    browser.get(&authorize_url(app, "&prompt=none")).await
}

async fn a_logout_with_a_hint_notifies_the_relying_party_then_redirects_with_state(
    backend: Backend,
) {
    let receiver = Receiver::start();
    let (_env, app) = start(backend, &receiver).await;
    let mut browser = Browser::new();
    let tokens = sign_in(&mut browser, &app).await;
    let id_token = tokens["id_token"].as_str().unwrap_or_default();
    assert!(part(id_token, 1)["sid"].is_string(), "ID tokens carry sid");

    let url = format!(
        "{}/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state={}",
        app.address,
        enc(AFTER),
        enc(STATE)
    );
    let page = browser.get(&url).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location.clone().unwrap_or_default();
    assert!(
        location.starts_with(&format!("{AFTER}?state=")),
        "{location}"
    );
    assert_eq!(page.location_param("state").as_deref(), Some(STATE));
    // Delivered before the browser was redirected.
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_logout_token(&received[0], &app, id_token);

    let after = prompt_none(&mut browser, &app).await;
    assert_eq!(
        after.location_param("error").as_deref(),
        Some("login_required")
    );
    everything_is_cut(&app, &tokens).await;
}

async fn without_a_hint_the_user_confirms_on_a_page_protected_from_forgery(backend: Backend) {
    let receiver = Receiver::start();
    let (_env, app) = start(backend, &receiver).await;
    let mut browser = Browser::new();
    sign_in(&mut browser, &app).await;
    let url = format!(
        "{}/logout?client_id=web&post_logout_redirect_uri={}&state=xyz",
        app.address,
        enc(AFTER)
    );
    let confirm = browser.get(&url).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("id=\"logout-confirm\""));
    let action = format!("{}/logout/confirm", app.address);
    let answer = |csrf: &str, logout: &str| {
        [
            ("client_id", "web".to_owned()),
            ("post_logout_redirect_uri", AFTER.to_owned()),
            ("state", "xyz".to_owned()),
            ("csrf", csrf.to_owned()),
            ("logout", logout.to_owned()),
        ]
    };
    let forged = answer("forged", "yes");
    assert_eq!(
        browser.post(&action, &pairs(&forged)).await.status,
        StatusCode::BAD_REQUEST
    );

    let csrf = confirm.field("csrf");
    let kept = browser.post(&action, &pairs(&answer(&csrf, "no"))).await;
    assert!(kept.body.contains("id=\"still-signed-in\""));
    assert!(
        prompt_none(&mut browser, &app)
            .await
            .location_param("code")
            .is_some(),
        "still signed in"
    );

    let done = browser.post(&action, &pairs(&answer(&csrf, "yes"))).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{AFTER}?state=xyz").as_str())
    );
    assert_eq!(receiver.wait_for(1, 5).await.len(), 1);
    assert_eq!(
        prompt_none(&mut browser, &app)
            .await
            .location_param("error")
            .as_deref(),
        Some("login_required")
    );
}

async fn bad_end_session_requests_get_a_page_and_change_nothing(backend: Backend) {
    let receiver = Receiver::start();
    let (_env, app) = start(backend, &receiver).await;
    let mut browser = Browser::new();
    let tokens = sign_in(&mut browser, &app).await;
    let id_token = tokens["id_token"].as_str().unwrap_or_default();
    let mut parts: Vec<&str> = id_token.split('.').collect();
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    parts[0] = &none_header;
    parts[2] = "";
    let unsigned = parts.join(".");
    for (query, marker) in [
        (
            format!(
                "id_token_hint={id_token}&post_logout_redirect_uri={}",
                enc(&format!("{AFTER}?foo=bar"))
            ),
            "post_logout_redirect_uri not registered",
        ),
        (
            format!(
                "id_token_hint={unsigned}&post_logout_redirect_uri={}",
                enc(AFTER)
            ),
            "could not validate id_token_hint",
        ),
        (
            format!("id_token_hint={id_token}&client_id=framed"),
            "unrecognized id_token_hint audience",
        ),
        (
            format!("post_logout_redirect_uri={}&state=a", enc(AFTER)),
            "post_logout_redirect_uri not registered",
        ),
        ("state=a&state=b".to_owned(), "more than once"),
    ] {
        let page = browser
            .get(&format!("{}/logout?{query}", app.address))
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(page.location.is_none());
        assert!(page.body.contains(marker), "{query}: {}", page.body);
    }
    assert!(receiver.received().is_empty());
    assert!(
        prompt_none(&mut browser, &app)
            .await
            .location_param("code")
            .is_some(),
        "still signed in"
    );
}

async fn front_channel_frames_load_before_the_redirect(backend: Backend) {
    let receiver = Receiver::start();
    let (_env, app) = start(backend, &receiver).await;
    let mut browser = Browser::new();
    let url = format!(
        "{}/authorize?client_id=framed&redirect_uri={}&response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256",
        app.address,
        enc("https://framed.example/cb")
    );
    let (_, done) = browser
        .sign_in(&url, "alice", "alice's long password")
        .await;
    assert!(
        done.location_param("code").is_some(),
        "first party: no consent"
    );
    let page = browser
        .get(&format!(
            "{}/logout?client_id=framed&post_logout_redirect_uri={}",
            app.address,
            enc("https://framed.example/after")
        ))
        .await;
    let csrf = page.field("csrf");
    let signing_out = browser
        .post(
            &format!("{}/logout/confirm", app.address),
            &[
                ("client_id", "framed"),
                ("post_logout_redirect_uri", "https://framed.example/after"),
                ("csrf", &csrf),
                ("logout", "yes"),
            ],
        )
        .await;
    assert_eq!(signing_out.status, StatusCode::OK);
    let iss = enc(&app.address);
    assert!(
        signing_out.body.contains(&format!(
            "src=\"https://framed.example/fcl?iss={iss}&amp;sid="
        )),
        "{}",
        signing_out.body
    );
    assert!(
        signing_out
            .body
            .contains("id=\"post-logout-continue\" href=\"https://framed.example/after\"")
    );
}

async fn revoking_a_grant_cuts_every_token_and_tells_the_relying_party(backend: Backend) {
    let receiver = Receiver::start();
    let (env, app) = start(backend, &receiver).await;
    let mut browser = Browser::new();
    let tokens = sign_in(&mut browser, &app).await;
    let id_token = tokens["id_token"].as_str().unwrap_or_default();
    // The same operation as `valet grant revoke --user alice --client web`, from another connection.
    let db = valet_store::Database::connect(&env.database_url, 2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = valet_core::ports::ClientStore::find_client(
        &db,
        &valet_core::client::ClientId::parse("web").unwrap_or_else(|e| panic!("{e}")),
    )
    .await
    .ok()
    .flatten()
    .unwrap_or_else(|| panic!("web"));
    let alice = part(id_token, 1)["sub"]
        .as_str()
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .unwrap_or_default();
    let plan = Cascade::revoke_grants(
        Grants::OfUserAndClient {
            user_id: alice,
            client: client.id,
        },
        "test",
    );
    let report = cascade(&db, &plan, Actor::cli(), chrono::Utc::now(), false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            report.grants,
            report.refresh_tokens,
            report.notification_count
        ),
        (1, 1, 1)
    );
    everything_is_cut(&app, &tokens).await;
    // Queued by a process with no HTTP client: the server's outbox worker delivers it.
    let received = receiver.wait_for(1, 10).await;
    assert_eq!(received.len(), 1);
    assert_logout_token(&received[0], &app, id_token);
}

crate::on_both_backends!(
    a_logout_with_a_hint_notifies_the_relying_party_then_redirects_with_state,
    without_a_hint_the_user_confirms_on_a_page_protected_from_forgery,
    bad_end_session_requests_get_a_page_and_change_nothing,
    front_channel_frames_load_before_the_redirect,
    revoking_a_grant_cuts_every_token_and_tells_the_relying_party
);
