//! A client's secrets through the ports, on SQLite and PostgreSQL: the sealed secret of a
//! client_secret_jwt client and a rotation's previous secret survive the round trip, provisioning keeps
//! an overlap in progress and stays idempotent, and a rotation drops the sealed secret it replaced.

use chrono::Duration;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::client::{ClientId, SecretSealer, open_secret};
use valet_core::keys::MasterKey;
use valet_core::ports::ClientStore;
use valet_core::provision::{self, ProvisionReport};
use valet_core::random::OsRandom;
use valet_core::secret::Secret;
use valet_store::Database;

mod common;
use common::{fresh, now};

const JWT_SECRET: &str = "hmac-client-secret-0123456789abcdef-0123";
const BASIC_SECRET: &str = "basic-client-secret-0123456789abcdef-012";

fn file(batch_name: &str) -> String {
    format!(
        r#"
[[clients]]
client_id = "hmac"
client_name = "HMAC batch"
token_endpoint_auth_method = "client_secret_jwt"
client_secret = "{JWT_SECRET}"
grant_types = ["client_credentials"]

[[clients]]
client_id = "batch"
client_name = "{batch_name}"
token_endpoint_auth_method = "client_secret_basic"
grant_types = ["client_credentials"]
"#
    )
}

async fn provision(db: &Database, master: &MasterKey, text: &str) -> ProvisionReport {
    let sealer = SecretSealer {
        master,
        random: &OsRandom,
    };
    provision::apply(text, db, now(), Actor::provision(), Some(&sealer))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn client(db: &Database, client_id: &str) -> valet_core::client::Client {
    let id = ClientId::parse(client_id).unwrap_or_else(|e| panic!("{e}"));
    db.find_client(&id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("{client_id} exists"))
}

async fn a_sealed_secret_round_trips_and_reprovisioning_changes_nothing(postgres: bool) {
    let db = fresh(postgres).await;
    let master = MasterKey::generate(&OsRandom);
    // The basic client needs its secret on first registration.
    let first = file("Batch").replace(
        "token_endpoint_auth_method = \"client_secret_basic\"",
        &format!("token_endpoint_auth_method = \"client_secret_basic\"\nclient_secret = \"{BASIC_SECRET}\""),
    );
    assert_eq!(provision(&db, &master, &first).await.clients_created, 2);
    let hmac = client(&db, "hmac").await;
    let sealed = hmac
        .sealed_secret
        .as_ref()
        .unwrap_or_else(|| panic!("the secret is sealed"));
    let opened = open_secret(&master, &hmac.client_id, sealed).map(|s| s.expose().to_owned());
    assert_eq!(opened.as_deref(), Ok(JWT_SECRET));
    assert!(
        hmac.secret_hash
            .as_ref()
            .is_some_and(|h| h.matches(&Secret::new(JWT_SECRET)))
    );
    let batch = client(&db, "batch").await;
    assert_eq!((batch.sealed_secret, batch.previous_secret), (None, None));

    let again = provision(&db, &master, &first).await;
    assert_eq!((again.clients_unchanged, again.clients_updated), (2, 0));
    assert_eq!(client(&db, "hmac").await, hmac, "nothing was re-sealed");
}

async fn a_rotation_overlap_survives_provisioning_and_drops_the_sealed_secret(postgres: bool) {
    let db = fresh(postgres).await;
    let master = MasterKey::generate(&OsRandom);
    let first = file("Batch").replace(
        "token_endpoint_auth_method = \"client_secret_basic\"",
        &format!("token_endpoint_auth_method = \"client_secret_basic\"\nclient_secret = \"{BASIC_SECRET}\""),
    );
    provision(&db, &master, &first).await;
    let batch = client(&db, "batch").await;
    let rotated = Secret::new("rotated-secret-0123456789abcdef-0123456");
    let until = now() + Duration::hours(1);
    let event = || AuditEvent::new(now(), Actor::cli(), "client.secret_rotated");
    db.set_client_secret(batch.id, &rotated.sha256(), Some(until), now(), &event())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let batch = client(&db, "batch").await;
    let previous = batch
        .previous_secret
        .clone()
        .unwrap_or_else(|| panic!("the overlap is stored"));
    assert_eq!(previous.expires_at, until);
    assert!(previous.hash.matches(&Secret::new(BASIC_SECRET)));
    assert!(
        batch
            .secret_hash
            .as_ref()
            .is_some_and(|h| h.matches(&rotated))
    );

    // The file no longer carries batch's secret: the stored one and the overlap stay.
    let unchanged = provision(&db, &master, &file("Batch")).await;
    assert_eq!(unchanged.clients_unchanged, 2);
    let renamed = provision(&db, &master, &file("Batch renamed")).await;
    assert_eq!(renamed.clients_updated, 1);
    let batch = client(&db, "batch").await;
    assert_eq!(batch.metadata.name, "Batch renamed");
    assert_eq!(batch.previous_secret, Some(previous));

    db.set_client_secret(batch.id, &rotated.sha256(), None, now(), &event())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(client(&db, "batch").await.previous_secret, None);

    let hmac = client(&db, "hmac").await;
    db.set_client_secret(hmac.id, &rotated.sha256(), None, now(), &event())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        client(&db, "hmac").await.sealed_secret,
        None,
        "a sealed secret is the current secret or nothing"
    );
}

macro_rules! on_both {
    ($($name:ident),+) => {
        mod sqlite { $(#[tokio::test] async fn $name() { super::$name(false).await })+ }
        mod postgres { $(#[tokio::test] async fn $name() { super::$name(true).await })+ }
    };
}

on_both!(
    a_sealed_secret_round_trips_and_reprovisioning_changes_nothing,
    a_rotation_overlap_survives_provisioning_and_drops_the_sealed_secret
);
