use chrono::Duration;

use super::*;
use crate::client::{SecretSealer, TokenEndpointAuthMethod, open_secret};
use crate::keys::MasterKey;
use crate::password::Password;
use crate::ports::ClientStore;
use crate::random::OsRandom;
use crate::secret::Secret;
use crate::testing::MemoryStore;

const FILE: &str = r#"
[[clients]]
client_id = "web"
client_name = "Web shop"
client_secret = "a-very-long-client-secret-of-40-characters"
redirect_uris = ["https://shop.example/callback"]
grant_types = ["authorization_code", "refresh_token"]

[[clients]]
client_id = "spa"
client_name = "Single-page app"
token_endpoint_auth_method = "none"
redirect_uris = ["http://localhost:5173/cb"]
first_party = true

[[users]]
username = "alice"
password = "correct horse battery"
roles = ["admin"]
claims = { email = "alice@example.com", email_verified = true, name = "Alice Liddell" }

[[users]]
username = "bob"
claims = { given_name = "Bob", address = { locality = "Paris", country = "FR" } }
"#;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn master() -> MasterKey {
    MasterKey::parse("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=")
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn run(
    store: &MemoryStore,
    text: &str,
    at: DateTime<Utc>,
) -> Result<ProvisionReport, ProvisionError> {
    let master = master();
    let sealer = SecretSealer {
        master: &master,
        random: &OsRandom,
    };
    apply(text, store, at, Actor::provision(), Some(&sealer)).await
}

fn invalid(result: Result<ProvisionReport, ProvisionError>) -> (String, String) {
    match result {
        Err(ProvisionError::Invalid { entry, field, .. }) => (entry, field),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_file_applies_and_applying_it_again_changes_nothing() {
    let store = MemoryStore::default();
    let first = run(&store, FILE, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((first.users_created, first.clients_created), (2, 2));
    let users = store.users();
    let clients = store.clients();
    let events = store.event_count();
    let second = run(&store, FILE, t0() + Duration::hours(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        second,
        ProvisionReport {
            users_unchanged: 2,
            clients_unchanged: 2,
            ..Default::default()
        }
    );
    assert_eq!(store.users(), users, "no field, hash or timestamp moved");
    assert_eq!(store.clients(), clients);
    assert_eq!(store.event_count(), events, "no audit event for a no-op");
}

#[tokio::test]
async fn clear_secrets_and_passwords_are_stored_hashed() {
    let store = MemoryStore::default();
    run(&store, FILE, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let web = store
        .clients()
        .into_iter()
        .find(|c| c.client_id.as_str() == "web");
    let hash = web
        .and_then(|c| c.secret_hash)
        .unwrap_or_else(|| panic!("web has a secret"));
    assert!(hash.matches(&Secret::new("a-very-long-client-secret-of-40-characters")));
    let alice = store
        .users()
        .into_iter()
        .find(|u| u.username.as_str() == "alice");
    let alice = alice.unwrap_or_else(|| panic!("alice exists"));
    assert!(
        alice
            .password_hash
            .as_ref()
            .is_some_and(|h| h.verify(&Password::new("correct horse battery")))
    );
    assert!(alice.is_admin());
    assert_eq!(alice.claims.email.as_deref(), Some("alice@example.com"));
}

#[tokio::test]
async fn defaults_make_public_clients_use_pkce_and_confidential_ones_basic_auth() {
    let store = MemoryStore::default();
    run(&store, FILE, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let clients = store.clients();
    let spa = clients
        .iter()
        .find(|c| c.client_id.as_str() == "spa")
        .unwrap_or_else(|| panic!("spa"));
    assert!(spa.is_public() && spa.metadata.require_pkce && spa.metadata.first_party);
    let web = clients
        .iter()
        .find(|c| c.client_id.as_str() == "web")
        .unwrap_or_else(|| panic!("web"));
    assert_eq!(
        web.metadata.token_endpoint_auth_method,
        TokenEndpointAuthMethod::ClientSecretBasic
    );
    assert_eq!(web.metadata.scopes.join(" "), DEFAULT_CLIENT_SCOPE);
}

#[tokio::test]
async fn a_changed_entry_updates_only_that_entry() {
    let store = MemoryStore::default();
    run(&store, FILE, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let edited = FILE.replace("Web shop", "Web shop 2");
    let report = run(&store, &edited, t0() + Duration::hours(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            report.clients_updated,
            report.clients_unchanged,
            report.users_unchanged
        ),
        (1, 1, 2)
    );
    assert_eq!(store.events_named("client.updated"), 1);
}

#[tokio::test]
async fn a_broken_entry_is_named_and_nothing_is_written() {
    let store = MemoryStore::default();
    let broken = FILE.replace(
        "https://shop.example/callback",
        "https://shop.example/callback#frag",
    );
    assert_eq!(
        invalid(run(&store, &broken, t0()).await),
        (
            "clients[0] (client_id \"web\")".into(),
            "redirect_uris[0]".into()
        )
    );
    let broken = FILE.replace("alice@example.com", "alice-at-example");
    assert_eq!(invalid(run(&store, &broken, t0()).await).1, "claims.email");
    let broken = FILE.replace("\"admin\"", "\"Admin\"");
    assert_eq!(
        invalid(run(&store, &broken, t0()).await),
        ("users[0] (username \"alice\")".into(), "roles[0]".into())
    );
    assert!(store.users().is_empty() && store.clients().is_empty() && store.event_count() == 0);
}

#[tokio::test]
async fn syntax_errors_and_unknown_fields_are_refused() {
    let store = MemoryStore::default();
    assert!(matches!(
        run(&store, "[[clients]\n", t0()).await,
        Err(ProvisionError::Syntax(_))
    ));
    let typo = FILE.replace("first_party", "first_partty");
    let err = run(&store, &typo, t0())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("first_partty"), "{err}");
}

#[tokio::test]
async fn duplicates_and_missing_secrets_are_refused() {
    let store = MemoryStore::default();
    let dup = format!("{FILE}\n[[users]]\nusername = \"ALICE\"\n");
    assert_eq!(
        invalid(run(&store, &dup, t0()).await),
        ("users[2] (username \"alice\")".into(), "username".into())
    );
    let no_secret = "[[clients]]\nclient_id = \"c\"\nclient_name = \"C\"\ntoken_endpoint_auth_method = \"client_secret_post\"\nredirect_uris = [\"https://c.example/cb\"]\n";
    assert_eq!(
        invalid(run(&store, no_secret, t0()).await).1,
        "client_secret"
    );
    for name in ["Web\\u0000shop".to_owned(), "W".repeat(201)] {
        let bad_name = FILE.replace("\"Web shop\"", &format!("\"{name}\""));
        assert_eq!(
            invalid(run(&store, &bad_name, t0()).await).1,
            "client_name",
            "{name}"
        );
    }
    let long_uri = format!("https://shop.example/{}", "a".repeat(2_000));
    let bad_redirect = FILE.replace("https://shop.example/callback", &long_uri);
    assert_eq!(
        invalid(run(&store, &bad_redirect, t0()).await).1,
        "redirect_uris[0]"
    );
    let short = FILE.replace("a-very-long-client-secret-of-40-characters", "short");
    assert_eq!(invalid(run(&store, &short, t0()).await).1, "client_secret");
    let public_with_secret = FILE.replace("token_endpoint_auth_method = \"none\"", "token_endpoint_auth_method = \"none\"\nclient_secret = \"0123456789012345678901234567890123\"");
    assert_eq!(
        invalid(run(&store, &public_with_secret, t0()).await).1,
        "client_secret"
    );
}

#[tokio::test]
async fn pre_hashed_credentials_are_taken_as_given() {
    let store = MemoryStore::default();
    let pw_hash =
        PasswordHash::create(&Password::new("pre-hashed pw")).unwrap_or_else(|e| panic!("{e}"));
    let secret_hash = Secret::new("s".repeat(40)).sha256();
    let file = format!(
        "[[users]]\nusername = \"carol\"\npassword_hash = \"{}\"\n[[clients]]\nclient_id = \"m2m\"\nclient_name = \"Batch\"\nclient_secret_sha256 = \"{}\"\ngrant_types = [\"client_credentials\"]\n",
        pw_hash.as_str(),
        secret_hash.as_str()
    );
    run(&store, &file, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.users()[0].password_hash.as_ref(), Some(&pw_hash));
    assert_eq!(store.clients()[0].secret_hash.as_ref(), Some(&secret_hash));
    assert!(store.clients()[0].metadata.redirect_uris.is_empty());
}

#[tokio::test]
async fn an_entry_without_a_password_keeps_the_stored_one() {
    let store = MemoryStore::default();
    run(&store, FILE, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let without = FILE.replace("password = \"correct horse battery\"\n", "");
    let report = run(&store, &without, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.users_unchanged, 2);
}

/// A new password, a disabled user or a disabled client runs the cascade an administrator's change
/// would; other edits, and the same file again, run none.
#[tokio::test]
async fn changes_that_cut_access_run_the_cascade() {
    let store = MemoryStore::default();
    run(&store, FILE, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cut = |store: &MemoryStore| {
        ["user.password_set", "user.disabled", "client.disabled"].map(|a| store.events_named(a))
    };
    let renamed = FILE.replace("Alice Liddell", "Alice L.");
    run(&store, &renamed, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cut(&store), [0, 0, 0], "a claim edit");

    let new_password = renamed.replace("correct horse battery", "another long password");
    run(&store, &new_password, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cut(&store), [1, 0, 0], "a new password");
    run(&store, &new_password, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cut(&store), [1, 0, 0], "the same password again");

    let disabled = new_password
        .replace(
            "roles = [\"admin\"]",
            "roles = [\"admin\"]\ndisabled = true",
        )
        .replace("first_party = true", "first_party = true\ndisabled = true");
    run(&store, &disabled, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cut(&store), [1, 1, 1], "a disabled user and client");
    run(&store, &disabled, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cut(&store), [1, 1, 1], "already disabled");
    let alice = store
        .events()
        .into_iter()
        .find(|e| e.action == "user.disabled");
    assert_eq!(
        alice.and_then(|e| e.target_id),
        Some(store.users()[0].id.to_string())
    );
}

mod sealed_secrets;
