//! The account features over real HTTP, with a real SMTP server on 127.0.0.1 (valet-mail-sink)
//! reading the actual messages: mailed links (`recovery`), two-step verification (`mfa`), cutting
//! access and resisting guessers (`security`). The steps they share are here.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use valet_core::mfa::{TotpSecret, code_at};
use valet_mail_sink::{MailSink, Received};

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

/// A real SMTP sink, a back-channel logout receiver, and the app sending to both.
async fn start_mailing(backend: Backend) -> (MailSink, Receiver, TestApp) {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let app = start(backend, &sink, &receiver).await;
    (sink, receiver, app)
}

async fn start(backend: Backend, sink: &MailSink, receiver: &Receiver) -> TestApp {
    start_with(backend, sink, receiver, &[]).await
}

async fn start_with(
    backend: Backend,
    sink: &MailSink,
    receiver: &Receiver,
    extra: &[&str],
) -> TestApp {
    start_in(backend, sink, receiver, extra).await.1
}

/// Like `start_with`, with the environment (its database and data directory) the app runs in.
async fn start_in(
    backend: Backend,
    sink: &MailSink,
    receiver: &Receiver,
    extra: &[&str],
) -> (TestEnv, TestApp) {
    let env = TestEnv::new(backend).await;
    let mail_url = sink.url();
    let mut args = vec![
        "--outbound-allow-networks",
        "127.0.0.0/8",
        "--mail-url",
        &mail_url,
    ];
    args.extend_from_slice(extra);
    let app = env
        .start_as_issuer_with(&format!("{}{BOB}", provision(&receiver.url)), &args)
        .await;
    (env, app)
}

/// The next mail to `to` and the link it carries under `{issuer}/account/{kind}/`.
async fn mailed_link(sink: &MailSink, app: &TestApp, to: &str, kind: &str) -> (Received, String) {
    let mail = sink
        .wait_for(to, Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("no mail to {to}"));
    let link = mail
        .first_link(&format!("{}/account/{kind}/", app.address))
        .unwrap_or_else(|| panic!("no link in {}", mail.text));
    (mail, link)
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
    let (_, done) = browser
        .sign_in(&to_authorize.location.unwrap_or_default(), user, password)
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

mod mfa;
mod recovery;
mod security;
