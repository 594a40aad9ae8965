//! Cutting access and resisting guessers: revoking an app on the account page (and when each app
//! and session was last active), throttled client secret guessing, and password hashes upgraded at
//! the next login.

use super::*;

async fn revoking_an_app_on_the_account_page_cuts_it_off(backend: Backend) {
    let (_sink, receiver, app) = start_mailing(backend).await;
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
    let (_sink, _receiver, app) = start_mailing(backend).await;
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

async fn an_old_password_hash_is_upgraded_at_the_next_login(backend: Backend) {
    use argon2::password_hash::PasswordHasher;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 3, 1, None).unwrap_or_else(|e| panic!("{e}")),
    )
    .hash_password(b"erin's long password")
    .unwrap_or_else(|e| panic!("{e}"))
    .to_string();
    let env = TestEnv::new(backend).await;
    let provision = format!("[[users]]\nusername = \"erin\"\npassword_hash = \"{weak}\"\n");
    let app = env.start_as_issuer(&provision).await;
    account_sign_in(&mut Browser::new(), &app, "erin", "erin's long password").await;
    let db = valet_store::Database::connect(&env.database_url, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let name = valet_core::user::Username::parse("erin").unwrap_or_else(|e| panic!("{e}"));
    let stored = valet_core::ports::UserStore::find_user(&db, &name)
        .await
        .ok()
        .flatten()
        .and_then(|u| u.password_hash)
        .unwrap_or_else(|| panic!("a hash"));
    assert!(
        stored
            .as_str()
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        stored.as_str()
    );
    assert!(!stored.needs_rehash());
    account_sign_in(&mut Browser::new(), &app, "erin", "erin's long password").await;
}

async fn the_account_page_shows_when_a_session_was_last_seen_and_an_app_last_used(
    backend: Backend,
) {
    use sea_orm::EntityTrait;
    use sea_orm::sea_query::Expr;
    use valet_store::entities::{grants, sessions};

    let receiver = Receiver::start();
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(&provision(&receiver.url)).await;
    let mut browser = Browser::new();
    let tokens: Value = sign_in(&mut browser, &app).await;
    account_sign_in(&mut browser, &app, "alice", ALICE_PASSWORD).await;
    let db = valet_store::Database::connect(&env.database_url, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let long_ago = chrono::DateTime::from_timestamp(1_577_880_000, 0).unwrap_or_default(); // 2020-01-01
    sessions::Entity::update_many()
        .col_expr(sessions::Column::LastSeenAt, Expr::value(long_ago))
        .exec(db.connection())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    grants::Entity::update_many()
        .col_expr(grants::Column::LastUsedAt, Expr::value(long_ago))
        .exec(db.connection())
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // The app refreshes its tokens (its grant is used), then the user opens the page (the
    // session is seen).
    let refresh = tokens["refresh_token"].as_str().unwrap_or_default();
    let (status, body) = token(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = browser.get(&format!("{}/account", app.address)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("last seen"), "{}", page.body);
    assert!(
        !page.body.contains("2020-01-01"),
        "neither the session nor the app shows its old time: {}",
        page.body
    );
}

crate::on_both_backends!(
    the_account_page_shows_when_a_session_was_last_seen_and_an_app_last_used,
    revoking_an_app_on_the_account_page_cuts_it_off,
    a_client_secret_guesser_is_throttled,
    an_old_password_hash_is_upgraded_at_the_next_login,
);
