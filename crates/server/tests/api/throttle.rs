//! Brute-force protection at the login form over HTTP: a guesser is blocked with 429 and
//! `Retry-After` (per account and per address, counted in the database), every block is audited,
//! the account's owner signs in from another address once the short block has passed, and at
//! once from a browser that signed in before.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use valet_store::entities::audit_events;

use crate::browser::{Browser, Page};
use crate::helpers::{Backend, TestApp, TestEnv};

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const PROVISION: &str = r#"
[[clients]]
client_id = "web"
client_name = "Web"
client_secret = "web-client-secret-0123456789abcdef"
redirect_uris = ["https://web.example/cb"]
first_party = true

[[users]]
username = "alice"
password = "alice's long password"
claims = { email = "alice@example.com", email_verified = true }
"#;

async fn try_login(browser: &mut Browser, app: &TestApp, username: &str, password: &str) -> Page {
    let url = format!(
        "{}/authorize?client_id=web&redirect_uri=https%3A%2F%2Fweb.example%2Fcb&response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256",
        app.address
    );
    browser.sign_in(&url, username, password).await.1
}

/// The audited login blocks, oldest first.
async fn blocks(env: &TestEnv) -> Vec<audit_events::Model> {
    let db = valet_store::Database::connect(&env.database_url, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("login.throttled"))
        .order_by_asc(audit_events::Column::OccurredAt)
        .all(db.connection())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn throttled(env: &TestEnv) -> usize {
    blocks(env).await.len()
}

async fn a_guesser_is_blocked_and_the_owner_gets_in_after_the_block(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let mut guesser = Browser::new();
    for n in 1..=6 {
        let page = try_login(&mut guesser, &app, "Alice", &format!("guess {n}")).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    // Six failures: blocked for 2 s; even the right password is refused, without a verification.
    let blocked = try_login(&mut guesser, &app, "alice", "alice's long password").await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.body.contains("Too many failed sign-in attempts"));
    assert_eq!(throttled(&env).await, 1, "the block is audited");

    // The owner, from another address: blocked while the account is, then let in.
    let owner_ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let mut owner = Browser::from_address(Some(owner_ip));
    let early = try_login(&mut owner, &app, "alice", "alice's long password").await;
    assert_eq!(early.status, StatusCode::TOO_MANY_REQUESTS);
    actix_web::rt::time::sleep(Duration::from_millis(2_100)).await;
    let done = try_login(&mut owner, &app, "alice", "alice's long password").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location_param("code").is_some());
}

/// A guesser who keeps the account's key blocked (a failure each time a block ends) never keeps
/// its owner out of a browser that signed in before: that browser's device cookie has its
/// attempts counted on a key of their own.
async fn a_guesser_cannot_lock_the_owner_out_of_a_browser_that_signed_in_before(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let owner_ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    let mut owner = Browser::from_address(Some(owner_ip));
    let first = try_login(&mut owner, &app, "alice", "alice's long password").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);

    let mut guesser = Browser::new();
    for n in 1..=6 {
        let page = try_login(&mut guesser, &app, "alice", &format!("guess {n}")).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let blocked = try_login(&mut guesser, &app, "alice", "alice's long password").await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    let stranger = try_login(
        &mut Browser::from_address(Some(owner_ip)),
        &app,
        "alice",
        "alice's long password",
    )
    .await;
    assert_eq!(
        stranger.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a browser without the cookie waits like any other"
    );

    let url = format!(
        "{}/authorize?client_id=web&redirect_uri=https%3A%2F%2Fweb.example%2Fcb&response_type=code&scope=openid&prompt=login&code_challenge={CHALLENGE}&code_challenge_method=S256",
        app.address
    );
    let wrong = owner.sign_in(&url, "alice", "a typo").await.1;
    assert_eq!(
        wrong.status,
        StatusCode::UNAUTHORIZED,
        "counted, not blocked"
    );
    let again = owner
        .sign_in(&url, "alice", "alice's long password")
        .await
        .1;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert!(again.location_param("code").is_some());
}

/// Behind a trusted reverse proxy every request comes from the proxy's address: the client's own,
/// from `X-Forwarded-For`, is counted instead, so one guesser does not block everyone.
async fn behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let config = env.dir.join("valet.toml");
    std::fs::write(&config, "[throttle]\nip_free_failures = 3\n").unwrap_or_else(|e| panic!("{e}"));
    let path = config.display().to_string();
    let app = env
        .start_as_issuer_with(
            PROVISION,
            &["--config", &path, "--trusted-proxies", "127.0.0.0/8"],
        )
        .await;
    let mut guesser = Browser::behind_proxy("203.0.113.1");
    for n in 1..=4 {
        let page = try_login(&mut guesser, &app, &format!("user{n}"), "guess").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let blocked = try_login(&mut guesser, &app, "user5", "guess").await;
    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser's address"
    );
    let mut other = Browser::behind_proxy("203.0.113.2");
    let page = try_login(&mut other, &app, "alice", "alice's long password").await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "another client of the proxy"
    );
    // A client's own X-Forwarded-For entry (on the left) changes nothing.
    let mut forging = Browser::behind_proxy("198.51.100.9, 203.0.113.1");
    let page = try_login(&mut forging, &app, "user6", "guess").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn one_address_guessing_many_accounts_is_blocked_but_not_the_others(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let mut guesser = Browser::new();
    for n in 1..=21 {
        let page = try_login(&mut guesser, &app, &format!("user{n}"), "password1").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let blocked = try_login(&mut guesser, &app, "someone-else", "password1").await;
    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address is blocked"
    );
    assert!(throttled(&env).await >= 1);
    let mut other = Browser::from_address(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3))));
    let fine = try_login(&mut other, &app, "alice", "alice's long password").await;
    assert_eq!(
        fine.status,
        StatusCode::SEE_OTHER,
        "other addresses are not affected"
    );
}

/// `[throttle]` as an operator would set it: 2 free failures, then 1 s doubling up to 4 s (the
/// sixth guess would block 8 s uncapped). The guesser alternates the account's username and email
/// address: both name one account, with one counter.
async fn a_scripted_guesser_is_slowed_as_configured(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let config = env.dir.join("valet.toml");
    std::fs::write(
        &config,
        "[throttle]\naccount_free_failures = 2\nfirst_block = \"1s\"\nmax_block = \"4s\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let path = config.display().to_string();
    let app = env
        .start_as_issuer_with(PROVISION, &["--config", &path])
        .await;
    let mut guesser = Browser::new();
    let mut waits = Vec::new();
    let names = ["alice", "ALICE@example.com"];
    for n in 1..=6 {
        let (name, other_name) = (names[n % 2], names[(n + 1) % 2]);
        let page = try_login(&mut guesser, &app, name, &format!("guess {n}")).await;
        assert_eq!(
            page.status,
            StatusCode::UNAUTHORIZED,
            "guess {n} is checked"
        );
        if n > 2 {
            let blocked = try_login(&mut guesser, &app, other_name, "another guess").await;
            assert_eq!(
                blocked.status,
                StatusCode::TOO_MANY_REQUESTS,
                "after guess {n}"
            );
            waits.push(blocked.retry_after.unwrap_or_default());
            actix_web::rt::time::sleep(Duration::from_millis(
                1_000 * waits.last().copied().unwrap_or(1) + 100,
            ))
            .await;
        }
    }
    assert_eq!(waits, [1, 2, 4, 4], "1 s, doubling, capped at 4 s");
    let audited: Vec<_> = blocks(&env)
        .await
        .into_iter()
        .map(|e| {
            (
                e.target_id.unwrap_or_default(),
                e.details["failures"].as_i64(),
                e.details["blocked_for_secs"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        audited,
        [3, 4, 5, 6].map(|n| (
            "alice".to_owned(),
            Some(n),
            Some(waits[n as usize - 3] as i64)
        )),
        "every block is audited: the account, its count of failures and the block's length"
    );
    let mut owner = Browser::from_address(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 4))));
    let done = try_login(&mut owner, &app, "alice", "alice's long password").await;
    assert_eq!(
        done.status,
        StatusCode::SEE_OTHER,
        "the owner gets in once the block passed"
    );
}

/// Sixteen wrong passwords for one account sent at once: they take turns, so after the default
/// five free failures and the sixth that blocks, the other ten are refused without a verification
/// instead of all passing the check before the first failure is counted.
async fn parallel_guesses_meet_the_counter_one_at_a_time(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..16 {
        let address = app.address.clone();
        guesses.spawn(async move {
            let mut guesser = Browser::new();
            let url = format!(
                "{address}/authorize?client_id=web&redirect_uri=https%3A%2F%2Fweb.example%2Fcb&response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256"
            );
            let (_, page) = guesser.sign_in(&url, "alice", &format!("guess {n}")).await;
            page.status
        });
    }
    let mut statuses = guesses.join_all().await;
    statuses.sort();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (6, 10), "{statuses:?}");
    assert_eq!(throttled(&env).await, 1, "one block, audited once");
}

/// Sixteen wrong passwords for sixteen accounts sent at once from one address that already has ten
/// failures (of its default twenty free ones): ten go ahead at once (all of them failing reaches the
/// limit, no further), the others take turns at the address, so one more is checked and blocks it,
/// and the last five are refused without a verification, even while the ten are still under way.
async fn parallel_guesses_near_the_address_limit_take_turns(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let mut guesser = Browser::new();
    for n in 1..=10 {
        let page = try_login(&mut guesser, &app, &format!("user{n}"), "password1").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..16 {
        let app = app.clone();
        guesses.spawn(async move {
            let page =
                try_login(&mut Browser::new(), &app, &format!("spray{n}"), "password1").await;
            page.status
        });
    }
    let statuses = guesses.join_all().await;
    let count = |status| statuses.iter().filter(|s| **s == status).count();
    let (checked, refused) = (
        count(StatusCode::UNAUTHORIZED),
        count(StatusCode::TOO_MANY_REQUESTS),
    );
    // 11 as a rule; 10 if a failure counted just as a waiting attempt read the counters is
    // counted twice by it (erring on the safe side). Never more than the limit.
    assert!(
        (10..=11).contains(&checked) && checked + refused == 16,
        "{statuses:?}"
    );
    // The eleventh failure (the address's twenty-first) blocks it; with ten, nothing reached the
    // limit, and the five or six refused were refused for what might have.
    assert_eq!(
        throttled(&env).await,
        usize::from(checked == 11),
        "a block, audited once, only when the limit was reached: {statuses:?}"
    );
}

async fn a_username_of_any_length_is_counted_not_an_error(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(PROVISION).await;
    let mut guesser = Browser::new();
    let long = "x".repeat(3_000); // past PostgreSQL's largest B-tree entry, were it a key itself
    for n in 1..=6 {
        let page = try_login(&mut guesser, &app, &long, &format!("guess {n}")).await;
        assert_eq!(
            page.status,
            StatusCode::UNAUTHORIZED,
            "attempt {n}: {}",
            page.body
        );
    }
    let blocked = try_login(&mut guesser, &app, &long, "guess 7").await;
    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "counted like any name"
    );
}

crate::on_both_backends!(
    behind_a_trusted_proxy_each_client_is_counted_by_its_own_address,
    a_guesser_cannot_lock_the_owner_out_of_a_browser_that_signed_in_before,
    a_username_of_any_length_is_counted_not_an_error,
    parallel_guesses_meet_the_counter_one_at_a_time,
    parallel_guesses_near_the_address_limit_take_turns,
    a_scripted_guesser_is_slowed_as_configured,
    a_guesser_is_blocked_and_the_owner_gets_in_after_the_block,
    one_address_guessing_many_accounts_is_blocked_but_not_the_others
);
