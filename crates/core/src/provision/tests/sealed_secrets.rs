//! Secrets kept sealed for client_secret_jwt, and a rotation overlap surviving provisioning.

use super::*;

const JWT_SECRET: &str = "an-hmac-client-secret-of-more-than-32-bytes";

fn secret_jwt_file(extra: &str) -> String {
    format!(
        "{FILE}\n[[clients]]\nclient_id = \"m2m\"\nclient_name = \"HMAC batch\"\ntoken_endpoint_auth_method = \"client_secret_jwt\"\nclient_secret = \"{JWT_SECRET}\"\ngrant_types = [\"client_credentials\"]\n{extra}"
    )
}

fn client_named(store: &MemoryStore, client_id: &str) -> crate::client::Client {
    store
        .clients()
        .into_iter()
        .find(|c| c.client_id.as_str() == client_id)
        .unwrap_or_else(|| panic!("{client_id} exists"))
}

#[tokio::test]
async fn only_client_secret_jwt_secrets_are_sealed() {
    let store = MemoryStore::default();
    run(&store, &secret_jwt_file(""), t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let m2m = client_named(&store, "m2m");
    let sealed = m2m
        .sealed_secret
        .as_ref()
        .unwrap_or_else(|| panic!("m2m's secret is sealed"));
    let opened = open_secret(&master(), &m2m.client_id, sealed).map(|s| s.expose().to_owned());
    assert_eq!(opened.as_deref(), Ok(JWT_SECRET));
    assert!(
        m2m.secret_hash
            .as_ref()
            .is_some_and(|h| h.matches(&Secret::new(JWT_SECRET))),
        "the hash is kept as well"
    );
    assert_eq!(client_named(&store, "web").sealed_secret, None);
    assert_eq!(client_named(&store, "spa").sealed_secret, None);
}

#[tokio::test]
async fn reapplying_a_client_secret_jwt_entry_does_not_reseal() {
    let store = MemoryStore::default();
    let file = secret_jwt_file("");
    run(&store, &file, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let before = client_named(&store, "m2m");
    let again = run(&store, &file, t0() + Duration::hours(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((again.clients_unchanged, again.clients_updated), (3, 0));
    assert_eq!(client_named(&store, "m2m"), before);
    // Without the master key, an unchanged entry is still recognised as unchanged.
    let blind = apply(&file, &store, t0(), Actor::provision(), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(blind.clients_unchanged, 3);
}

#[tokio::test]
async fn a_new_client_secret_jwt_secret_is_sealed_anew_and_switching_method_drops_it() {
    let store = MemoryStore::default();
    run(&store, &secret_jwt_file(""), t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let before = client_named(&store, "m2m");
    let changed = secret_jwt_file("").replace(JWT_SECRET, &"n".repeat(40));
    run(&store, &changed, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after = client_named(&store, "m2m");
    assert_ne!(after.sealed_secret, before.sealed_secret);
    let opened = after
        .sealed_secret
        .as_ref()
        .and_then(|s| open_secret(&master(), &after.client_id, s).ok());
    assert_eq!(opened, Some(Secret::new("n".repeat(40))));
    let basic = changed.replace("client_secret_jwt", "client_secret_basic");
    run(&store, &basic, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(client_named(&store, "m2m").sealed_secret, None);
}

#[tokio::test]
async fn client_secret_jwt_refuses_a_pre_hashed_secret() {
    let store = MemoryStore::default();
    let hash = Secret::new(JWT_SECRET).sha256();
    let file = secret_jwt_file("").replace(
        &format!("client_secret = \"{JWT_SECRET}\""),
        &format!("client_secret_sha256 = \"{}\"", hash.as_str()),
    );
    let err = run(&store, &file, t0()).await;
    let message = err
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert_eq!(
        invalid(err),
        (
            "clients[2] (client_id \"m2m\")".into(),
            "client_secret_sha256".into()
        )
    );
    assert!(
        message.contains("clear client_secret") && message.contains("HMAC"),
        "{message}"
    );
    let no_secret = secret_jwt_file("").replace(&format!("client_secret = \"{JWT_SECRET}\"\n"), "");
    assert_eq!(
        invalid(run(&store, &no_secret, t0()).await).1,
        "client_secret"
    );
    assert!(store.clients().is_empty());
}

#[tokio::test]
async fn client_secret_jwt_algs_and_secret_lengths_are_checked() {
    let store = MemoryStore::default();
    let rsa = secret_jwt_file("token_endpoint_auth_signing_alg = \"RS256\"\n");
    assert_eq!(
        invalid(run(&store, &rsa, t0()).await).1,
        "token_endpoint_auth_signing_alg"
    );
    let hs512 = secret_jwt_file("token_endpoint_auth_signing_alg = \"HS512\"\n");
    assert_eq!(invalid(run(&store, &hs512, t0()).await).1, "client_secret");
    let hs256 = secret_jwt_file("token_endpoint_auth_signing_alg = \"HS256\"\n");
    assert!(run(&store, &hs256, t0()).await.is_ok());
}

#[tokio::test]
async fn sealing_a_new_secret_needs_the_master_key() {
    let store = MemoryStore::default();
    let result = apply(&secret_jwt_file(""), &store, t0(), Actor::provision(), None).await;
    assert!(
        matches!(&result, Err(ProvisionError::Sealing { entry, message }) if entry.contains("m2m") && message.contains("master key")),
        "{result:?}"
    );
    assert!(store.clients().is_empty(), "nothing is written");
    assert!(
        apply(FILE, &store, t0(), Actor::provision(), None)
            .await
            .is_ok(),
        "files without client_secret_jwt need no master key"
    );
}

#[tokio::test]
async fn a_rotation_overlap_in_progress_survives_provisioning() {
    let store = MemoryStore::default();
    run(&store, FILE, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let web = client_named(&store, "web");
    let rotated = Secret::new("r".repeat(43));
    let ends = t0() + Duration::hours(1);
    let event = AuditEvent::new(t0(), Actor::cli(), "client.secret_rotated");
    store
        .set_client_secret(web.id, &rotated.sha256(), Some(ends), t0(), &event)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let without_secret = FILE.replace(
        "client_secret = \"a-very-long-client-secret-of-40-characters\"",
        "token_endpoint_auth_method = \"client_secret_basic\"",
    );
    let report = run(&store, &without_secret, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.clients_unchanged, 2, "the overlap is no difference");
    let renamed = without_secret.replace("Web shop", "Web shop 2");
    let report = run(&store, &renamed, t0())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.clients_updated, 1);
    let web = client_named(&store, "web");
    assert_eq!(web.metadata.name, "Web shop 2");
    assert!(
        web.secret_hash
            .as_ref()
            .is_some_and(|h| h.matches(&rotated))
    );
    let previous = web
        .previous_secret
        .unwrap_or_else(|| panic!("the overlap runs on"));
    assert_eq!(previous.expires_at, ends);
    assert!(previous.accepts(
        &Secret::new("a-very-long-client-secret-of-40-characters"),
        t0()
    ));
}
