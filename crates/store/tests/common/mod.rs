//! What the store test binaries share: a fresh migrated database on either backend, and a user and
//! a client to hang rows on.

#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use valet_core::account::{AccountLink, AccountToken, LinkPurpose, QueuedMail};
use valet_core::audit::{Actor, AuditEvent};
use valet_core::client::Client;
use valet_core::code::{AuthorizationCode, CodeValue};
use valet_core::grant::Grant;
use valet_core::ports::{AccountStore, BatchStore, ClientStore, UserStore, Write};
use valet_core::provision::ClientEntry;
use valet_core::random::OsRandom;
use valet_core::refresh::RefreshToken;
use valet_core::session::{LoginOrigin, Session, SessionToken, SignInCheck};
use valet_core::user::{User, Username};
use valet_store::Database;
use valet_store::entities::audit_events;

pub async fn fresh(postgres: bool) -> Database {
    let id = Uuid::now_v7().simple().to_string();
    let url = if postgres {
        let admin = sea_orm::Database::connect("postgres://postgres@127.0.0.1:5432/postgres")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE valet_test_{id}"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        format!("postgres://postgres@127.0.0.1:5432/valet_test_{id}")
    } else {
        format!(
            "sqlite://{}?mode=rwc",
            std::env::temp_dir()
                .join(format!("valet-test-{id}.db"))
                .display()
        )
    };
    let db = Database::connect(&url, 20)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    db
}

pub fn now() -> DateTime<Utc> {
    // Whole microseconds: what PostgreSQL keeps.
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap_or_default()
}

pub async fn user(db: &Database, name: &str) -> User {
    let t = now();
    let user = User {
        id: Uuid::now_v7(),
        username: Username::parse(name).unwrap_or_else(|e| panic!("{e}")),
        password_hash: None,
        disabled: false,
        claims: Default::default(),
        roles: Default::default(),
        created_at: t,
        updated_at: t,
        second_factor: false,
    };
    db.insert_user(&user, &AuditEvent::new(t, Actor::cli(), "user.created"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    user
}

pub async fn client(db: &Database, entry: ClientEntry) -> Client {
    let t = now();
    let spec = entry.validate(0).unwrap_or_else(|e| panic!("{e}"));
    let client = Client {
        id: Uuid::now_v7(),
        client_id: spec.client_id,
        secret_hash: None,
        previous_secret: None,
        sealed_secret: None,
        metadata: spec.metadata,
        created_at: t,
        updated_at: t,
    };
    db.insert_client(&client, &AuditEvent::new(t, Actor::cli(), "client.created"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    client
}

/// Issues `user` a password reset link at `at`, its mail queued (to alice@example.com, sealed as
/// "v1.sealed"), as a "forgot password" request does; the link's token and its secret.
pub async fn reset_link(
    db: &Database,
    user: &User,
    at: DateTime<Utc>,
) -> (AccountToken, AccountLink) {
    link(db, user, LinkPurpose::ResetPassword, at).await
}

/// Issues `user` a link of `purpose` at `at`, its mail queued like `reset_link`'s.
pub async fn link(
    db: &Database,
    user: &User,
    purpose: LinkPurpose,
    at: DateTime<Utc>,
) -> (AccountToken, AccountLink) {
    let (token, link) = AccountToken::issue(user.id, purpose, None, at, &OsRandom);
    let mail = QueuedMail {
        id: Uuid::now_v7(),
        to: "alice@example.com".into(),
        sealed: "v1.sealed".into(),
        queued_at: at,
    };
    let event = AuditEvent::new(at, Actor::system(), "password.reset_requested");
    db.issue_link(&token, &link.hash(), &mail, &event)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (token, link)
}

/// A one-day password session of `user`, started at `started`, and its cookie's token (not stored).
pub fn start_session(user: &User, started: DateTime<Utc>) -> (Session, SessionToken) {
    Session::start(
        user.id,
        vec!["pwd".into()],
        None,
        LoginOrigin::default(),
        started,
        Duration::days(1),
        &OsRandom,
    )
}

/// An active one-day session of `user`, started at `started`, stored.
pub async fn session(db: &Database, user: &User, started: DateTime<Utc>) -> Session {
    let (session, token) = start_session(user, started);
    insert_session(db, &session, &token).await;
    session
}

/// Stores `session` under `token` (as a login's batch does, its user's password as it is now).
pub async fn insert_session(db: &Database, session: &Session, token: &SessionToken) {
    let user = db
        .find_user_by_id(session.user_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no user {}", session.user_id));
    let write = Write::InsertSession {
        session: session.clone(),
        token_hash: token.hash(),
        checked: SignInCheck {
            password_hash: user.password_hash,
            interaction: None,
        },
    };
    db.write_batch(vec![write])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Stores `code` under `value` (as a login's batch does).
pub async fn insert_code(db: &Database, code: &AuthorizationCode, value: &CodeValue) {
    let write = Write::InsertCode {
        code: code.clone(),
        code_hash: value.hash(),
    };
    db.write_batch(vec![write])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Runs each named `async fn(postgres: bool)` of the test file as a test on SQLite and on
/// PostgreSQL (`#[macro_use] mod common;`).
#[allow(unused_macros)]
macro_rules! on_both {
    ($($name:ident),+) => {
        mod sqlite { $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(false).await })+ }
        mod postgres { $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(true).await })+ }
    };
}

pub fn web_entry(client_id: &str) -> ClientEntry {
    ClientEntry {
        client_id: client_id.into(),
        client_name: "Web".into(),
        client_secret: Some("s".repeat(40)),
        redirect_uris: vec!["https://web.example/cb".into()],
        ..Default::default()
    }
}

pub async fn user_and_client(db: &Database) -> (User, Client) {
    (user(db, "alice").await, client(db, web_entry("web")).await)
}

/// A code for `grant` (and `session`), issued at `t`, good for a minute.
pub fn code_for(grant: &Grant, session: Option<Uuid>, t: DateTime<Utc>) -> AuthorizationCode {
    AuthorizationCode {
        id: Uuid::now_v7(),
        grant_id: grant.id,
        client: grant.client,
        user_id: grant.user_id,
        session_id: session,
        redirect_uri: "https://web.example/cb".into(),
        redirect_uri_given: true,
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        scopes: vec!["openid".into(), "email".into()],
        claims: None,
        auth_time: t,
        amr: vec!["pwd".into()],
        acr: None,
        created_at: t,
        expires_at: t + Duration::seconds(60),
        consumed_at: None,
        issued_access_token_jti: None,
        issued_refresh_chain_id: None,
    }
}

/// The first refresh token of a new chain under `grant`, issued at `t`, offline (bound to no
/// session), good for 30 days.
pub fn first_of_chain(grant: &Grant, t: DateTime<Utc>) -> RefreshToken {
    RefreshToken {
        id: Uuid::now_v7(),
        chain_id: Uuid::now_v7(),
        parent_id: None,
        grant_id: grant.id,
        client: grant.client,
        user_id: grant.user_id,
        session_id: None,
        scopes: grant.scopes.clone(),
        auth_time: t,
        created_at: t,
        expires_at: t + Duration::days(30),
        idle_expires_at: None,
        rotated_at: None,
        revoked_at: None,
    }
}

/// A key ring with one active RS256 key, for the token rules that sign.
pub fn ring(at: DateTime<Utc>) -> valet_core::keys::KeyRing {
    use valet_core::keys::{KeyRing, KeyTimes, MasterKey, SigningAlg, StoredKey, generate};
    let master = MasterKey::generate(&OsRandom);
    let key = generate(SigningAlg::Rs256).unwrap_or_else(|e| panic!("{e}"));
    let sealed = master
        .seal(&OsRandom, &key.kid, &key.private_der)
        .unwrap_or_else(|e| panic!("{e}"));
    let stored = StoredKey {
        id: Uuid::now_v7(),
        kid: key.kid,
        alg: SigningAlg::Rs256,
        public_jwk: key.public_jwk,
        sealed,
        created_at: at,
        times: KeyTimes {
            activates_at: at - Duration::days(1),
            retires_at: at + Duration::days(90),
            expires_at: at + Duration::days(91),
        },
    };
    KeyRing::load(&[stored], &master, at).unwrap_or_else(|e| panic!("{e}"))
}

/// The audit events recorded with `action`.
pub async fn events(db: &Database, action: &str) -> Vec<audit_events::Model> {
    audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq(action))
        .all(db.connection())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}
