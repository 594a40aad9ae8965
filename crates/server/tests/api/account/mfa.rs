//! Two-step verification: enrolment on the account page, then pwd+otp at every sign-in (acr 2,
//! replay refused, recovery codes single-use), and an administrator's reset.

use super::*;

/// Enrols TOTP on the account page; returns the secret read from the page and the recovery codes.
async fn enrol(
    browser: &mut Browser,
    app: &TestApp,
    page: &Page,
    password: &str,
) -> (TotpSecret, Vec<String>) {
    let setup = browser
        .post(
            &format!("{}/account/mfa/setup", app.address),
            &[
                ("csrf", &page.field("csrf")),
                ("current_password", password),
            ],
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

/// An authorization request of the `web` client that asks for two-step verification (`acr_values=2`).
fn web_authorize_mfa(app: &TestApp) -> String {
    format!(
        "{}/authorize?client_id=web&redirect_uri=https%3A%2F%2Fweb.example%2Fcb&response_type=code&scope=openid&acr_values=2&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        app.address
    )
}

/// Starts a sign-in at `authorize` and passes its password step, which stays on the interaction;
/// returns the interaction's address and the page it shows next.
async fn password_step(
    browser: &mut Browser,
    authorize: &str,
    username: &str,
    password: &str,
) -> (String, Page) {
    let (interaction, answer) = browser.sign_in(authorize, username, password).await;
    assert_eq!(answer.location.as_deref(), Some(interaction.as_str()));
    let next = browser.get(&interaction).await;
    (interaction, next)
}

/// The rest of a sign-in at the `web` client from `done` (the answer to its last step): consent if
/// asked, then the code exchanged at the token endpoint; the ID token's claims.
async fn finish_at_client(
    app: &TestApp,
    browser: &mut Browser,
    interaction: &str,
    mut done: Page,
) -> Value {
    if done.location.as_deref() == Some(interaction) {
        let consent = browser.get(interaction).await;
        done = browser
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
        app,
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
    part(tokens["id_token"].as_str().unwrap_or_default(), 1)
}

fn recovery_codes(page: &Page) -> Vec<String> {
    page.body
        .split("<li><code>")
        .skip(1)
        .map(|part| part[..part.find('<').unwrap_or(0)].to_owned())
        .collect()
}

async fn two_step_verification_is_asked_at_every_sign_in(backend: Backend) {
    let (_sink, _receiver, app) = start_mailing(backend).await;
    let mut browser = Browser::new();
    let page = account_sign_in(&mut browser, &app, "alice", ALICE_PASSWORD).await;
    let (secret, recovery) = enrol(&mut browser, &app, &page, ALICE_PASSWORD).await;

    // A relying party asks for MFA: password, then the code page.
    let authorize = web_authorize_mfa(&app);
    let mut other = Browser::new();
    let (interaction, ask) = password_step(&mut other, &authorize, "alice", ALICE_PASSWORD).await;
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
    let done = other
        .post(&post_code, &[("csrf", &ask.field("csrf")), ("code", &next)])
        .await;
    let claims = finish_at_client(&app, &mut other, &interaction, done).await;
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp"]));
    assert_eq!(claims["acr"], "2");

    // A recovery code signs in once.
    for (n, expected) in [(1, true), (2, false)] {
        let mut fresh = Browser::new();
        let (interaction, ask) =
            password_step(&mut fresh, &authorize, "alice", ALICE_PASSWORD).await;
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

    // A sign-in waiting for its second factor was checked against the old password: it ends
    // when the password changes.
    let mut waiting = Browser::new();
    let (interaction, ask) = password_step(&mut waiting, &authorize, "alice", ALICE_PASSWORD).await;
    let changed = browser
        .post(
            &format!("{}/account/password", app.address),
            &[
                ("csrf", &page.field("csrf")),
                ("current_password", ALICE_PASSWORD),
                ("new_password", "a brand new passphrase for her"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let late = waiting
        .post(
            &format!("{interaction}/second-factor"),
            &[("csrf", &ask.field("csrf")), ("code", &recovery[1])],
        )
        .await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST, "{}", late.body);
    assert!(late.body.contains("expired"), "{}", late.body);
}

/// A client requires two-step verification of a user who has none: after the password, the
/// sign-in sets up the app (wrong codes refused), shows the recovery codes once, then goes on to
/// the client with `amr` `pwd`+`otp`; the next sign-in asks for the app's code.
async fn a_sign_in_that_requires_it_sets_up_two_step_verification(backend: Backend) {
    let (_sink, _receiver, app) = start_mailing(backend).await;
    let authorize = web_authorize_mfa(&app);
    let mut browser = Browser::new();
    let (interaction, setup) =
        password_step(&mut browser, &authorize, "bob", "bob's long password 1").await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    assert!(
        setup.body.contains("data:image/svg+xml;base64,"),
        "a QR code"
    );
    let secret = TotpSecret::from_base32(between(&setup.body, "<code id=\"totp-secret\">", "<"))
        .unwrap_or_else(|e| panic!("{e}"));
    let enrol = format!("{interaction}/enrol");
    let wrong = browser
        .post(
            &enrol,
            &[("csrf", &setup.field("csrf")), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let skipped = browser
        .post(
            &format!("{interaction}/continue"),
            &[("csrf", &setup.field("csrf"))],
        )
        .await;
    assert_eq!(
        skipped.status,
        StatusCode::BAD_REQUEST,
        "no way on before the app is set up"
    );
    let code = code_at(&secret, chrono::Utc::now());
    let codes = browser
        .post(&enrol, &[("csrf", &setup.field("csrf")), ("code", &code)])
        .await;
    assert_eq!(codes.status, StatusCode::OK, "{}", codes.body);
    assert_eq!(recovery_codes(&codes).len(), 10, "the recovery codes, once");
    assert!(
        codes.csp.contains("form-action 'self' https://web.example"),
        "the way on may redirect to the client: {}",
        codes.csp
    );
    let done = browser
        .post(
            &format!("{interaction}/continue"),
            &[("csrf", &codes.field("csrf"))],
        )
        .await;
    let claims = finish_at_client(&app, &mut browser, &interaction, done).await;
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp"]));
    assert_eq!(claims["acr"], "2");

    // From now on the app's code is asked for, even by a client that does not require it.
    let mut next = Browser::new();
    let plain = authorize.replace("&acr_values=2", "");
    let (_, ask) = password_step(&mut next, &plain, "bob", "bob's long password 1").await;
    assert!(ask.body.contains("Verification code"), "{}", ask.body);
}

/// Renewing the recovery codes and turning two-step verification off on the account page ask for
/// the password and a code, and tell the user by mail: a stranger in a borrowed session who knows
/// the password does neither.
async fn turning_it_off_on_the_account_page_tells_the_user(backend: Backend) {
    let (sink, _receiver, app) = start_mailing(backend).await;
    let mut browser = Browser::new();
    let page = account_sign_in(&mut browser, &app, "bob", "bob's long password 1").await;
    let (secret, recovery) = enrol(&mut browser, &app, &page, "bob's long password 1").await;
    let page = browser.get(&format!("{}/account", app.address)).await;
    let csrf = page.field("csrf");
    let renew = format!("{}/account/mfa/recovery-codes", app.address);
    let mut post = async |url: &str, code: &str| {
        let form = [
            ("csrf", csrf.as_str()),
            ("current_password", "bob's long password 1"),
            ("code", code),
        ];
        browser.post(url, &form).await
    };
    let without_code = post(&renew, "000000").await;
    assert_eq!(
        without_code.status,
        StatusCode::UNAUTHORIZED,
        "the password alone does not renew the codes"
    );
    let renewed = post(&renew, &recovery[0]).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    assert_eq!(recovery_codes(&renewed).len(), 10);
    let notice = sink
        .wait_for("bob@example.com", Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("no notice"));
    assert!(
        notice.subject.contains("recovery codes"),
        "{}",
        notice.subject
    );

    let remove = format!("{}/account/mfa/remove", app.address);
    let wrong = post(&remove, "not a code").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // The enrolment used this step's code (or the one before); the next one is good.
    let next = code_at(&secret, chrono::Utc::now() + chrono::Duration::seconds(30));
    let done = post(&remove, &next).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let notice = sink
        .wait_for("bob@example.com", Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("no notice"));
    assert!(notice.subject.contains("turned off"), "{}", notice.subject);
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
    let (sink, _receiver, app) = start_mailing(backend).await;
    let mut browser = Browser::new();
    let page = account_sign_in(&mut browser, &app, "bob", "bob's long password 1").await;
    enrol(&mut browser, &app, &page, "bob's long password 1").await;
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(page.body.contains("id=\"mfa-status\">On"));

    let (_, users) = admin(&app, reqwest::Method::GET, "/users?q=bob").await;
    let id = users["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, before) = admin(&app, reqwest::Method::GET, &format!("/users/{id}/mfa")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        before,
        serde_json::json!({ "enabled": true, "recovery_codes_left": 10 })
    );
    let (status, _) = admin(
        &app,
        reqwest::Method::POST,
        &format!("/users/{id}/mfa/reset"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, after) = admin(&app, reqwest::Method::GET, &format!("/users/{id}/mfa")).await;
    assert_eq!(
        after,
        serde_json::json!({ "enabled": false, "recovery_codes_left": 0 })
    );
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(page.body.contains("id=\"mfa-status\">Off"), "{}", page.body);
    let notice = sink
        .wait_for("bob@example.com", Duration::from_secs(20))
        .await;
    assert!(notice.is_some(), "the user is told by mail");
    let (_, audit) = admin(&app, reqwest::Method::GET, "/audit?action=user.mfa_reset").await;
    assert_eq!(audit["items"][0]["actor"], "client:automation", "{audit}");
    let (again, problem) = admin(
        &app,
        reqwest::Method::POST,
        &format!("/users/{id}/mfa/reset"),
    )
    .await;
    assert_eq!(
        again,
        StatusCode::CONFLICT,
        "nothing left to reset: {problem}"
    );

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

/// `valet user reset-mfa` against a running server's database: the factor is off at once, and the
/// server's outbox worker sends the notice the command queued.
async fn the_command_line_resets_two_step_verification_and_tells_the_user(backend: Backend) {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let (env, app) = start_in(backend, &sink, &receiver, &[]).await;
    let mut browser = Browser::new();
    let page = account_sign_in(&mut browser, &app, "bob", "bob's long password 1").await;
    enrol(&mut browser, &app, &page, "bob's long password 1").await;

    // Another master key than the server's could seal a notice the server cannot open.
    let other_key = env.dir.join("other.key");
    let key = valet_core::keys::MasterKey::generate(&valet_core::random::OsRandom).to_text();
    std::fs::write(&other_key, key).unwrap_or_else(|e| panic!("{e}"));
    let other_key = other_key.display().to_string();
    let refused = crate::cli::valet(
        &env,
        &["--master-key-file", &other_key, "user", "reset-mfa", "bob"],
        None,
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("needs the server's master key"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(
        page.body.contains("id=\"mfa-status\">On"),
        "nothing changed"
    );

    let reset = crate::cli::json(&crate::cli::valet(
        &env,
        &["--json", "user", "reset-mfa", "bob"],
        None,
    ));
    assert_eq!(reset["mfa"], false);
    assert_eq!(reset["notice_to"], "bob@example.com");
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert!(page.body.contains("id=\"mfa-status\">Off"), "{}", page.body);
    let notice = sink
        .wait_for("bob@example.com", Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("the queued notice was sent"));
    assert!(
        notice
            .subject
            .starts_with("Two-step verification was reset"),
        "{}",
        notice.subject
    );
    let (_, audit) = admin(&app, reqwest::Method::GET, "/audit?action=user.mfa_reset").await;
    assert_eq!(audit["items"][0]["actor"], "cli", "{audit}");
    let again = crate::cli::valet(&env, &["user", "reset-mfa", "bob"], None);
    assert!(!again.status.success(), "nothing left to reset");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not on for `bob`"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let notices = sink
        .messages()
        .iter()
        .filter(|m| m.subject.starts_with("Two-step verification was reset"))
        .count();
    assert_eq!(notices, 1, "and nobody is told twice");
}

crate::on_both_backends!(
    two_step_verification_is_asked_at_every_sign_in,
    turning_it_off_on_the_account_page_tells_the_user,
    a_sign_in_that_requires_it_sets_up_two_step_verification,
    an_administrator_resets_two_step_verification,
    the_command_line_resets_two_step_verification_and_tells_the_user,
);

/// Holds `username`'s row (another server's password change under way, on PostgreSQL) while `post`
/// runs, until `post` waits on it; then gives the account `password` and commits. Returns `post`'s
/// answer.
async fn password_changed_during(
    database_url: &str,
    username: &str,
    password: &str,
    post: impl std::future::Future<Output = Page>,
) -> Page {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    let db = sea_orm::Database::connect(database_url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let change = db.begin().await.unwrap_or_else(|e| panic!("{e}"));
    let sql = |sql: &str, values: Vec<sea_orm::Value>| {
        Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
    };
    change
        .execute_raw(sql(
            "SELECT id FROM users WHERE username = $1 FOR UPDATE",
            vec![username.into()],
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hash =
        valet_core::password::PasswordHash::create(&valet_core::password::Password::new(password))
            .unwrap_or_else(|e| panic!("{e}"));
    let commit_once_waited_on = async {
        let waiting = sql(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
            vec![],
        );
        for attempt in 0.. {
            assert!(
                attempt < 1000,
                "the sign-in never waited for the account's row"
            );
            let n: i64 = db
                .query_one_raw(waiting.clone())
                .await
                .ok()
                .flatten()
                .and_then(|row| row.try_get("", "n").ok())
                .unwrap_or_default();
            if n > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        change
            .execute_raw(sql(
                "UPDATE users SET password_hash = $1 WHERE username = $2",
                vec![hash.as_str().into(), username.into()],
            ))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        change.commit().await.unwrap_or_else(|e| panic!("{e}"));
    };
    let (answer, ()) = tokio::join!(post, commit_once_waited_on);
    answer
}

/// A password change that commits after a sign-in checked the old password, but before it wrote
/// anything, voids that sign-in: no session starts and the login form comes back, also for a user
/// with an authenticator app, whose code page is never reached. Made deterministic by holding the account's row on PostgreSQL until the sign-in waits for it.
#[actix_web::test]
async fn a_sign_in_checked_against_a_password_changed_meanwhile_is_voided_on_postgres() {
    let (sink, receiver) = (
        MailSink::start().await.unwrap_or_else(|e| panic!("{e}")),
        Receiver::start(),
    );
    let (env, app) = start_in(Backend::Postgres, &sink, &receiver, &[]).await;
    let db = sea_orm::Database::connect(&env.database_url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sessions = || async {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let count = Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM sessions JOIN users ON users.id = sessions.user_id \
             WHERE users.username = 'alice'",
        );
        let row = db
            .query_one_raw(count)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        row.and_then(|row| row.try_get::<i64>("", "n").ok())
            .unwrap_or_default()
    };
    let authorize = web_authorize_mfa(&app).replace("&acr_values=2", "");
    let sign_in_racing = |password: &'static str, new_password: &'static str| {
        let (authorize, database_url) = (authorize.clone(), env.database_url.clone());
        async move {
            let mut browser = Browser::new();
            let login = browser.get(&authorize).await;
            let interaction = login.interaction();
            let (login_url, csrf) = (format!("{interaction}/login"), login.field("csrf"));
            let form = [
                ("csrf", csrf.as_str()),
                ("username", "alice"),
                ("password", password),
            ];
            let post = browser.post(&login_url, &form);
            let answer = password_changed_during(&database_url, "alice", new_password, post).await;
            assert_eq!(answer.location.as_deref(), Some(interaction.as_str()));
            browser.get(&interaction).await
        }
    };

    let again = sign_in_racing(ALICE_PASSWORD, "her second password").await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.body.contains("name=\"password\""),
        "the login form: {}",
        again.body
    );
    assert_eq!(sessions().await, 0, "no session started");

    let mut browser = Browser::new();
    let page = account_sign_in(&mut browser, &app, "alice", "her second password").await;
    enrol(&mut browser, &app, &page, "her second password").await;
    let again = sign_in_racing("her second password", "her third password").await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.body.contains("name=\"password\""),
        "the login form, not the code page: {}",
        again.body
    );
    assert_eq!(sessions().await, 1, "only the account page's");
}
