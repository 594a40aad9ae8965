//! The account features over real HTTP, with a real SMTP server on 127.0.0.1 (valet-mail-sink)
//! reading the actual messages: a password reset from the mailed link ends every session, an email
//! address is verified from its link, two-step verification is enrolled and then asked at every
//! sign-in (amr pwd+otp, acr 2; codes never accepted twice), revoking an app on the account page
//! cuts its tokens and tells it, and guessers of client secrets are throttled.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use valet_core::mfa::{TotpSecret, code_at};
use valet_mail_sink::MailSink;

use crate::browser::{Browser, Page};
use crate::helpers::{Backend, TestApp, TestEnv};
use crate::logout::{Receiver, everything_is_cut, part, provision, sign_in, token};

const ALICE_PASSWORD: &str = "alice's long password";
const ADMIN_SECRET: &str = "automation-secret-0123456789abcdef";
const BOB: &str = r#"
[[clients]]
client_id = "automation"
client_name = "Automation"
client_secret = "automation-secret-0123456789abcdef"
grant_types = ["client_credentials"]
scope = "valet:admin"

[[users]]
username = "bob"
password = "bob's long password 1"
claims = { email = "bob@example.com", email_verified = true, given_name = "Bob" }
"#;

async fn start(backend: Backend, sink: &MailSink, receiver: &Receiver) -> TestApp {
    start_with(backend, sink, receiver, &[]).await
}

async fn start_with(
    backend: Backend,
    sink: &MailSink,
    receiver: &Receiver,
    extra: &[&str],
) -> TestApp {
    let env = TestEnv::new(backend).await;
    let mail_url = sink.url();
    let mut args = vec![
        "--outbound-allow-networks",
        "127.0.0.0/8",
        "--mail-url",
        &mail_url,
    ];
    args.extend_from_slice(extra);
    env.start_as_issuer_with(&format!("{}{BOB}", provision(&receiver.url)), &args)
        .await
}

/// A page without its per-response CSP nonce, to compare two answers.
fn without_nonce(page: &Page) -> String {
    let nonce = between(&page.body, "nonce=\"", "\"");
    page.body.replace(nonce, "")
}

/// Follows the account pages' own sign-in (authorization endpoint, login form, callback), unless
/// the browser is signed in already, and returns the account page.
async fn account_sign_in(browser: &mut Browser, app: &TestApp, user: &str, password: &str) -> Page {
    let account = format!("{}/account", app.address);
    let to_authorize = browser.get(&account).await;
    if to_authorize.status == StatusCode::OK {
        return to_authorize; // already signed in (SSO)
    }
    assert_eq!(to_authorize.status, StatusCode::SEE_OTHER);
    let interaction = browser
        .get(&to_authorize.location.unwrap_or_default())
        .await
        .location
        .unwrap_or_default();
    let login = browser.get(&interaction).await;
    let done = browser
        .post(
            &format!("{interaction}/login"),
            &[
                ("csrf", &login.field("csrf")),
                ("username", user),
                ("password", password),
            ],
        )
        .await;
    let callback = done.location.unwrap_or_else(|| panic!("{}", done.body));
    assert!(
        callback.starts_with(&format!("{account}/callback?")),
        "{callback}"
    );
    let back = browser.get(&callback).await;
    assert_eq!(back.location.as_deref(), Some(account.as_str()));
    let page = browser.get(&account).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).map_or(text.len(), |i| i + start.len());
    let rest = &text[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

async fn a_password_reset_from_the_mailed_link_ends_every_session(backend: Backend) {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let app = start(backend, &sink, &receiver).await;
    let mut laptop = Browser::new();
    account_sign_in(&mut laptop, &app, "bob", "bob's long password 1").await;

    let mut phone = Browser::new();
    let forgot = format!("{}/account/forgot", app.address);
    assert_eq!(phone.get(&forgot).await.status, StatusCode::OK);
    let known = phone
        .post(&forgot, &[("identifier", "Bob@Example.com")])
        .await;
    let unknown = phone
        .post(&forgot, &[("identifier", "nobody@example.com")])
        .await;
    assert_eq!(
        (known.status, without_nonce(&known)),
        (unknown.status, without_nonce(&unknown)),
        "no enumeration"
    );

    let mail = sink
        .wait_for("bob@example.com", Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("no reset mail"));
    let link = mail
        .first_link(&format!("{}/account/reset/", app.address))
        .unwrap_or_else(|| panic!("no link in {}", mail.text));
    assert!(
        mail.html.contains(&link),
        "the HTML part carries the link too"
    );
    assert_eq!(phone.get(&link).await.status, StatusCode::OK);
    let weak = phone.post(&link, &[("new_password", "password1")]).await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert!(weak.body.contains("too common"), "{}", weak.body);
    let done = phone
        .post(&link, &[("new_password", "a brand new passphrase")])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let reused = phone
        .post(&link, &[("new_password", "another new passphrase")])
        .await;
    assert!(reused.body.contains("no longer valid"), "a link works once");

    let laptop_again = laptop.get(&format!("{}/account", app.address)).await;
    assert_eq!(
        laptop_again.status,
        StatusCode::SEE_OTHER,
        "the laptop's session ended"
    );
    assert!(
        laptop_again
            .location
            .is_some_and(|l| l.contains("/authorize?"))
    );
    let notice = sink
        .wait_for("bob@example.com", Duration::from_secs(20))
        .await;
    assert!(notice.is_some_and(|m| m.subject.to_lowercase().contains("password")));
    account_sign_in(&mut Browser::new(), &app, "bob", "a brand new passphrase").await;
}

async fn an_email_address_is_verified_from_its_link(backend: Backend) {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let app = start(backend, &sink, &receiver).await;
    let mut browser = Browser::new();
    let page = account_sign_in(&mut browser, &app, "bob", "bob's long password 1").await;
    assert!(page.body.contains("Your email address is verified."));
    let profile = [
        ("csrf", page.field("csrf")),
        ("name", "Bob Builder".to_owned()),
        ("given_name", "Bob".to_owned()),
        ("family_name", String::new()),
        ("email", "bob@new.example".to_owned()),
        ("locale", "en".to_owned()),
        ("zoneinfo", String::new()),
    ];
    let pairs: Vec<(&str, &str)> = profile.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = browser
        .post(&format!("{}/account/profile", app.address), &pairs)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(
        page.body.contains("not verified yet"),
        "a new address starts unverified"
    );

    let mail = sink
        .wait_for("bob@new.example", Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("no verification mail"));
    let link = mail
        .first_link(&format!("{}/account/verify/", app.address))
        .unwrap_or_else(|| panic!("no link in {}", mail.text));
    let confirm = Browser::new().get(&link).await;
    assert!(
        confirm.body.contains("bob@new.example"),
        "a GET only shows the confirmation"
    );
    let done = Browser::new().post(&link, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(page.body.contains("Your email address is verified."));
    assert!(
        Browser::new()
            .post(&link, &[])
            .await
            .body
            .contains("no longer valid")
    );
}

/// Enrols TOTP on the account page; returns the secret read from the page and the recovery codes.
async fn enrol(browser: &mut Browser, app: &TestApp, page: &Page) -> (TotpSecret, Vec<String>) {
    let setup = browser
        .post(
            &format!("{}/account/mfa/setup", app.address),
            &[("csrf", &page.field("csrf"))],
        )
        .await;
    assert!(
        setup.body.contains("data:image/svg+xml;base64,"),
        "a QR code"
    );
    let secret = TotpSecret::from_base32(between(&setup.body, "<code id=\"totp-secret\">", "<"))
        .unwrap_or_else(|e| panic!("{e}"));
    let confirm = format!("{}/account/mfa/confirm", app.address);
    let wrong = browser
        .post(
            &confirm,
            &[("csrf", &setup.field("csrf")), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let code = code_at(&secret, chrono::Utc::now());
    let codes = browser
        .post(&confirm, &[("csrf", &setup.field("csrf")), ("code", &code)])
        .await;
    assert_eq!(codes.status, StatusCode::OK, "{}", codes.body);
    let recovery = recovery_codes(&codes);
    assert_eq!(recovery.len(), 10, "ten recovery codes, shown once");
    (secret, recovery)
}

fn recovery_codes(page: &Page) -> Vec<String> {
    page.body
        .split("<li><code>")
        .skip(1)
        .map(|part| part[..part.find('<').unwrap_or(0)].to_owned())
        .collect()
}

async fn two_step_verification_is_asked_at_every_sign_in(backend: Backend) {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let app = start(backend, &sink, &receiver).await;
    let mut browser = Browser::new();
    let page = account_sign_in(&mut browser, &app, "alice", ALICE_PASSWORD).await;
    let (secret, recovery) = enrol(&mut browser, &app, &page).await;

    // A relying party asks for MFA: password, then the code page.
    let authorize = format!(
        "{}/authorize?client_id=web&redirect_uri=https%3A%2F%2Fweb.example%2Fcb&response_type=code&scope=openid&acr_values=2&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        app.address
    );
    let mut other = Browser::new();
    let interaction = other.get(&authorize).await.location.unwrap_or_default();
    let login = other.get(&interaction).await;
    let after_password = other
        .post(
            &format!("{interaction}/login"),
            &[
                ("csrf", &login.field("csrf")),
                ("username", "alice"),
                ("password", ALICE_PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        after_password.location.as_deref(),
        Some(interaction.as_str())
    );
    let ask = other.get(&interaction).await;
    assert!(ask.body.contains("Two-step verification"), "{}", ask.body);
    let post_code = format!("{interaction}/second-factor");
    let wrong = other
        .post(
            &post_code,
            &[("csrf", &ask.field("csrf")), ("code", "123456")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let replay = code_at(&secret, chrono::Utc::now());
    let replayed = other
        .post(
            &post_code,
            &[("csrf", &ask.field("csrf")), ("code", &replay)],
        )
        .await;
    // The enrolment's code was this step's (or the one before): it is never accepted again.
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "replay refused");
    let next = code_at(&secret, chrono::Utc::now() + chrono::Duration::seconds(30));
    let mut done = other
        .post(&post_code, &[("csrf", &ask.field("csrf")), ("code", &next)])
        .await;
    if done.location.as_deref() == Some(interaction.as_str()) {
        let consent = other.get(&interaction).await;
        done = other
            .post(
                &format!("{interaction}/consent"),
                &[("csrf", &consent.field("csrf")), ("decision", "allow")],
            )
            .await;
    }
    let code = done
        .location_param("code")
        .unwrap_or_else(|| panic!("{:?} {}", done.location, done.body));
    let (status, tokens) = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://web.example/cb"),
            (
                "code_verifier",
                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            ),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let claims = part(tokens["id_token"].as_str().unwrap_or_default(), 1);
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp"]));
    assert_eq!(claims["acr"], "2");

    // A recovery code signs in once.
    for (n, expected) in [(1, true), (2, false)] {
        let mut fresh = Browser::new();
        let interaction = fresh.get(&authorize).await.location.unwrap_or_default();
        let login = fresh.get(&interaction).await;
        fresh
            .post(
                &format!("{interaction}/login"),
                &[
                    ("csrf", &login.field("csrf")),
                    ("username", "alice"),
                    ("password", ALICE_PASSWORD),
                ],
            )
            .await;
        let ask = fresh.get(&interaction).await;
        let result = fresh
            .post(
                &format!("{interaction}/second-factor"),
                &[("csrf", &ask.field("csrf")), ("code", &recovery[0])],
            )
            .await;
        assert_eq!(
            result.status == StatusCode::SEE_OTHER,
            expected,
            "recovery use {n}: {}",
            result.body
        );
    }
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(page.body.contains("9 recovery codes left"), "{}", page.body);
}

async fn revoking_an_app_on_the_account_page_cuts_it_off(backend: Backend) {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let app = start(backend, &sink, &receiver).await;
    let mut browser = Browser::new();
    let tokens: Value = sign_in(&mut browser, &app).await;
    let page = account_sign_in(&mut browser, &app, "alice", ALICE_PASSWORD).await;
    assert!(
        page.body.contains("data-client-id=\"web\""),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("data-client-id=\"valet-account\""),
        "Valet's own pages are not an app"
    );
    let action = between(&page.body, "action=\"", "\"");
    let revoke_path = page
        .body
        .split("action=\"")
        .map(|p| &p[..p.find('"').unwrap_or(0)])
        .find(|a| a.ends_with("/revoke"))
        .unwrap_or_else(|| panic!("no revoke form after {action}"))
        .to_owned();
    let forged = Browser::new()
        .post(&revoke_path, &[("csrf", &page.field("csrf"))])
        .await;
    assert_eq!(
        forged.status,
        StatusCode::SEE_OTHER,
        "another browser is sent to sign in"
    );
    let done = browser
        .post(&revoke_path, &[("csrf", &page.field("csrf"))])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    everything_is_cut(&app, &tokens).await;
    assert_eq!(
        receiver.wait_for(1, 10).await.len(),
        1,
        "the app was told (back-channel logout)"
    );
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(!page.body.contains("data-client-id=\"web\""));
}

async fn a_client_secret_guesser_is_throttled(backend: Backend) {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let app = start(backend, &sink, &receiver).await;
    let attempt = |secret: &'static str| {
        app.http
            .post(format!("{}/token", app.address))
            .basic_auth("web", Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    for _ in 0..6 {
        let response = attempt("wrong").await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = attempt("web-client-secret-0123456789abcdef")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.headers().contains_key("retry-after"));
}

/// The admin API with a client-credentials token of the `automation` client.
async fn admin(app: &TestApp, method: reqwest::Method, path: &str) -> (StatusCode, Value) {
    let token: Value = app
        .http
        .post(format!("{}/token", app.address))
        .basic_auth("automation", Some(ADMIN_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "valet:admin"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    let response = app
        .http
        .request(method, format!("{}/admin/api/v1{path}", app.address))
        .bearer_auth(token["access_token"].as_str().unwrap_or_default())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (response.status(), response.json().await.unwrap_or_default())
}

async fn an_administrator_resets_two_step_verification(backend: Backend) {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let app = start(backend, &sink, &receiver).await;
    let mut browser = Browser::new();
    let page = account_sign_in(&mut browser, &app, "bob", "bob's long password 1").await;
    enrol(&mut browser, &app, &page).await;
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(page.body.contains("id=\"mfa-status\">On"));

    let (_, users) = admin(&app, reqwest::Method::GET, "/users?q=bob").await;
    let id = users["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, _) = admin(
        &app,
        reqwest::Method::POST,
        &format!("/users/{id}/mfa/reset"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(page.body.contains("id=\"mfa-status\">Off"), "{}", page.body);
    let notice = sink
        .wait_for("bob@example.com", Duration::from_secs(20))
        .await;
    assert!(notice.is_some(), "the user is told by mail");
    let (_, audit) = admin(&app, reqwest::Method::GET, "/audit?action=user.mfa_reset").await;
    assert_eq!(audit["items"][0]["actor"], "client:automation", "{audit}");

    let (status, _) = admin(
        &app,
        reqwest::Method::POST,
        &format!("/users/{id}/email/verify"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "bob's address is verified already"
    );
}

async fn a_self_registered_account_works_only_once_its_address_is_verified(backend: Backend) {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let closed = start(backend, &sink, &receiver).await;
    let off = Browser::new()
        .get(&format!("{}/account/register", closed.address))
        .await;
    assert_eq!(off.status, StatusCode::NOT_FOUND, "off by default");

    let app = start_with(backend, &sink, &receiver, &["--self-registration"]).await;
    let register = format!("{}/account/register", app.address);
    let mut browser = Browser::new();
    assert_eq!(browser.get(&register).await.status, StatusCode::OK);
    let form = |user: &'static str, email: &'static str, password: &'static str| {
        [("username", user), ("email", email), ("password", password)]
    };
    let weak = browser
        .post(&register, &form("carol", "carol@example.com", "12345678"))
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    let taken = browser
        .post(
            &register,
            &form("bob", "other@example.com", "a fine passphrase"),
        )
        .await;
    assert!(taken.body.contains("username is taken"), "{}", taken.body);
    let done = browser
        .post(
            &register,
            &form("carol", "carol@example.com", "a fine passphrase"),
        )
        .await;
    assert!(done.body.contains("id=\"registered\""), "{}", done.body);
    let reused = browser
        .post(
            &register,
            &form("carol2", "BOB@example.com", "a fine passphrase"),
        )
        .await;
    assert!(
        reused.body.contains("id=\"registered\""),
        "an address in use is not revealed"
    );

    // Before activation the account cannot sign in.
    let mut early = Browser::new();
    let to_authorize = early.get(&format!("{}/account", app.address)).await;
    let interaction = early
        .get(&to_authorize.location.unwrap_or_default())
        .await
        .location
        .unwrap_or_default();
    let login = early.get(&interaction).await;
    let refused = early
        .post(
            &format!("{interaction}/login"),
            &[
                ("csrf", &login.field("csrf")),
                ("username", "carol"),
                ("password", "a fine passphrase"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let mail = sink
        .wait_for("carol@example.com", Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("no activation mail"));
    let link = mail
        .first_link(&format!("{}/account/activate/", app.address))
        .unwrap_or_else(|| panic!("no link in {}", mail.text));
    assert!(
        Browser::new()
            .get(&link)
            .await
            .body
            .contains("carol@example.com")
    );
    let active = Browser::new().post(&link, &[]).await;
    assert_eq!(active.status, StatusCode::OK, "{}", active.body);
    let page = account_sign_in(&mut Browser::new(), &app, "carol", "a fine passphrase").await;
    assert!(page.body.contains("Your email address is verified."));
    assert!(
        sink.messages().iter().all(|m| !m.is_for("bob@example.com")),
        "nothing sent for a used address"
    );
    assert!(
        Browser::new()
            .post(&link, &[])
            .await
            .body
            .contains("no longer valid")
    );
}

crate::on_both_backends!(
    a_self_registered_account_works_only_once_its_address_is_verified,
    an_administrator_resets_two_step_verification,
    a_password_reset_from_the_mailed_link_ends_every_session,
    an_email_address_is_verified_from_its_link,
    two_step_verification_is_asked_at_every_sign_in,
    revoking_an_app_on_the_account_page_cuts_it_off,
    a_client_secret_guesser_is_throttled
);
