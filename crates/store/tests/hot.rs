//! The lookups that read rows by position (`crate::hot`) find, on SQLite and PostgreSQL, what
//! sea-orm's reading by name finds (clients, users and grants, against the lists) or what was
//! written (sessions, codes, refresh tokens), for rows with every column set to a value of its
//! own, so that two columns read in each other's place cannot go unnoticed.

use std::collections::BTreeSet;
use std::fmt::Debug;

use chrono::Duration;
use serde_json::json;
use uuid::Uuid;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::client::{Client, PreviousSecret};
use valet_core::code::{AuthorizationCode, CodeValue};
use valet_core::grant::Grant;
use valet_core::keys::SealedKey;
use valet_core::password::{Password, PasswordHash};
use valet_core::ports::{
    ClientStore, CodeStore, GrantStore, SessionStore, StoreError, TokenStore, UserStore,
};
use valet_core::provision::ClientEntry;
use valet_core::random::OsRandom;
use valet_core::refresh::RefreshToken;
use valet_core::secret::SecretHash;
use valet_core::user::{Address, StandardClaims, User, Username};
use valet_store::Database;

#[macro_use]
mod common;
use common::{fresh, now};

fn https(path: &str) -> Option<String> {
    Some(format!("https://rp.example/{path}"))
}

async fn every_column_client(db: &Database) -> Client {
    let entry = ClientEntry {
        client_id: "every-column".into(),
        client_secret: Some("s".repeat(48)),
        client_name: "Every column".into(),
        logo_uri: https("logo.png"),
        client_uri: https("home"),
        policy_uri: https("policy"),
        tos_uri: https("terms"),
        contacts: vec!["ops@rp.example".into()],
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec!["https://rp.example/bye".into()],
        grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
        scope: Some("openid profile email".into()),
        token_endpoint_auth_method: Some("client_secret_jwt".into()),
        token_endpoint_auth_signing_alg: Some("HS384".into()),
        jwks_uri: https("jwks"),
        id_token_signed_response_alg: Some("ES256".into()),
        userinfo_signed_response_alg: Some("PS256".into()),
        request_object_signing_alg: Some("RS256".into()),
        access_token_signed_response_alg: Some("ES256".into()),
        backchannel_logout_uri: https("backchannel"),
        backchannel_logout_session_required: true,
        frontchannel_logout_uri: https("frontchannel"),
        frontchannel_logout_session_required: true,
        first_party: true,
        always_issue_refresh_token: true,
        default_max_age: Some(3600),
        require_auth_time: true,
        default_acr_values: vec!["urn:valet:acr:mfa".into()],
        code_ttl_secs: Some(61),
        access_token_ttl_secs: Some(601),
        id_token_ttl_secs: Some(602),
        refresh_token_ttl_secs: Some(86_401),
        refresh_token_idle_ttl_secs: Some(3_601),
        ..Default::default()
    };
    let spec = entry.validate(0).unwrap_or_else(|e| panic!("{e}"));
    let t = now();
    let client = Client {
        id: Uuid::now_v7(),
        client_id: spec.client_id,
        secret_hash: Some(SecretHash::of(b"current")),
        previous_secret: Some(PreviousSecret {
            hash: SecretHash::of(b"previous"),
            expires_at: t + Duration::hours(1),
        }),
        sealed_secret: Some(SealedKey {
            ciphertext: vec![1, 2, 3],
            nonce: vec![4, 5, 6],
        }),
        metadata: spec.metadata,
        created_at: t,
        updated_at: t + Duration::seconds(1),
    };
    db.insert_client(&client, &AuditEvent::new(t, Actor::cli(), "client.created"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    client
}

async fn every_column_user(db: &Database) -> User {
    let text = |claim: &str| Some(format!("{claim} of ada"));
    let claims = StandardClaims {
        name: text("name"),
        given_name: text("given_name"),
        family_name: text("family_name"),
        middle_name: text("middle_name"),
        nickname: text("nickname"),
        preferred_username: text("preferred_username"),
        profile: Some("https://ada.example/profile".into()),
        picture: Some("https://ada.example/picture.png".into()),
        website: Some("https://ada.example".into()),
        email: Some("ada@example.com".into()),
        email_verified: true,
        gender: text("gender"),
        birthdate: Some("1815-12-10".into()),
        zoneinfo: Some("Europe/London".into()),
        locale: Some("en-GB".into()),
        phone_number: Some("+44 20 7946 0000".into()),
        phone_number_verified: true,
        address: Some(Address {
            formatted: text("formatted"),
            street_address: text("street_address"),
            locality: text("locality"),
            region: text("region"),
            postal_code: text("postal_code"),
            country: text("country"),
        }),
    };
    let t = now();
    let user = User {
        id: Uuid::now_v7(),
        username: Username::parse("ada").unwrap_or_else(|e| panic!("{e}")),
        password_hash: Some(
            PasswordHash::create(&Password::new(String::from("a long enough password")))
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        disabled: false,
        claims,
        roles: BTreeSet::from(["admin".to_owned(), "auditor".to_owned()]),
        created_at: t,
        updated_at: t + Duration::seconds(1),
        second_factor: false,
    };
    db.insert_user(&user, &AuditEvent::new(t, Actor::cli(), "user.created"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    user
}

/// What the list (read by name) and the two lookups (read by position) found: `written`, each.
fn found_alike<T: PartialEq + Debug>(
    written: &T,
    listed: Result<Vec<T>, StoreError>,
    lookups: [Result<Option<T>, StoreError>; 2],
) {
    let listed = listed.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.as_slice(), std::slice::from_ref(written), "the list");
    for (i, found) in lookups.into_iter().enumerate() {
        let found = found.unwrap_or_else(|e| panic!("lookup {i}: {e}"));
        assert_eq!(found.as_ref(), Some(written), "lookup {i}");
    }
}

async fn read_by_position_as_by_name(postgres: bool) {
    let db = fresh(postgres).await;
    let client = every_column_client(&db).await;
    let lookups = [
        db.find_client(&client.client_id).await,
        db.find_client_by_id(client.id).await,
    ];
    found_alike(&client, db.list_clients().await, lookups);

    let user = every_column_user(&db).await;
    let lookups = [
        db.find_user(&user.username).await,
        db.find_user_by_id(user.id).await,
    ];
    found_alike(&user, db.list_users().await, lookups);
    let no_roles = common::user(&db, "bob").await;
    let found = db.find_user(&no_roles.username).await;
    assert_eq!(found.ok().flatten().map(|u| u.roles), Some(BTreeSet::new()));

    let t = now();
    let grant = Grant {
        claims: Some(json!({"userinfo": {"email": null}})),
        last_used_at: Some(t + Duration::seconds(5)),
        ..Grant::new(user.id, client.id, vec!["openid".into(), "email".into()], t)
    };
    db.save_grant(&grant, None, t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let listed = db.list_grants(Some(user.id), None, true, 10).await;
    let lookups = [
        db.find_grant(grant.id).await,
        db.find_live_grant(user.id, client.id).await,
    ];
    found_alike(&grant, listed, lookups);
    assert_eq!(
        db.find_live_grant(no_roles.id, client.id).await.ok(),
        Some(None)
    );
}

/// A session, a code and a refresh token with every column set to a value of its own are found
/// as they were written.
async fn read_by_position_as_written(postgres: bool) {
    let db = fresh(postgres).await;
    let (user, client) = common::user_and_client(&db).await;
    let t = now();
    let (mut session, token) = common::start_session(&user, t);
    session.acr = Some("urn:valet:acr:mfa".into());
    session.ip = Some("192.0.2.7".into());
    session.user_agent = Some("a browser".into());
    session.last_seen_at = t + Duration::seconds(2);
    common::insert_session(&db, &session, &token).await;
    let found = db.find_session(&token.hash()).await;
    assert_eq!(found.ok().flatten().as_ref(), Some(&session));
    db.end_session(session.id, t + Duration::seconds(3), "a test")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    session.ended_at = Some(t + Duration::seconds(3));
    let found = db.find_session_by_id(session.id).await;
    assert_eq!(found.ok().flatten(), Some(session.clone()));

    let grant = Grant::new(user.id, client.id, vec!["openid".into()], t);
    db.save_grant(&grant, Some(session.id), t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let value = CodeValue::generate(&OsRandom);
    let code = AuthorizationCode {
        claims: Some(json!({"id_token": {"acr": null}})),
        acr: Some("urn:valet:acr:single".into()),
        consumed_at: Some(t + Duration::seconds(4)),
        issued_access_token_jti: Some("jti-1".into()),
        issued_refresh_chain_id: Some(Uuid::now_v7()),
        ..common::code_for(&grant, Some(session.id), t)
    };
    common::insert_code(&db, &code, &value).await;
    let found = db.find_code(&value.hash()).await;
    assert_eq!(found.ok().flatten(), Some(code));

    let first = common::first_of_chain(&grant, t);
    let refresh = RefreshToken {
        parent_id: Some(first.id),
        session_id: Some(session.id),
        idle_expires_at: Some(t + Duration::hours(5)),
        rotated_at: Some(t + Duration::seconds(6)),
        revoked_at: Some(t + Duration::seconds(7)),
        ..common::first_of_chain(&grant, t + Duration::seconds(1))
    };
    let hash = SecretHash::of(b"refresh token");
    db.insert_refresh_token(&refresh, &hash)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let found = db.find_refresh_token(&hash).await;
    assert_eq!(found.ok().flatten(), Some(refresh));
}

on_both!(read_by_position_as_by_name, read_by_position_as_written);
