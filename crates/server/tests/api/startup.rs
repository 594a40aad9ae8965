//! First start, restart, and every start-up failure that must stop cleanly and change nothing.

use std::os::unix::fs::PermissionsExt;

use valet_core::password::Password;
use valet_core::ports::{KeyStore, UserStore};
use valet_core::user::Username;
use valet_server::Application;
use valet_server::config::SecretEnv;
use valet_server::startup::StartupError;

use crate::helpers::{Backend, TestEnv};

async fn key_count(env: &TestEnv) -> usize {
    let db = valet_store::Database::connect(&env.database_url, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    db.list_keys().await.map(|k| k.len()).unwrap_or_default()
}

async fn build_err(env: &TestEnv, extra: &[&str], secrets: SecretEnv) -> StartupError {
    match Application::build(env.config(extra, secrets), None, true).await {
        Ok(_) => panic!("start-up should have failed"),
        Err(e) => e,
    }
}

async fn a_restart_keeps_the_keys_and_the_admin(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let first = env.start(&[]).await;
    assert!(first.admin_created);
    let jwks = first.get_json("/jwks").await;
    let second = env.start(&[]).await;
    assert!(
        !second.admin_created,
        "the first administrator is created once"
    );
    assert_eq!(second.get_json("/jwks").await, jwks);
    let mode = std::fs::metadata(env.dir.join("master.key"))
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or_default();
    assert_eq!(mode, 0o600);
}

async fn the_first_admin_takes_its_password_from_the_environment(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let secrets = SecretEnv {
        master_key: None,
        admin_password: Some("a long admin password".into()),
    };
    assert!(env.start_with(&[], secrets).await.admin_created);
    let db = valet_store::Database::connect(&env.database_url, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let admin = db
        .find_user(&Username::parse("admin").unwrap_or_else(|e| panic!("{e}")))
        .await
        .ok()
        .flatten();
    let admin = admin.unwrap_or_else(|| panic!("admin exists"));
    assert!(admin.is_admin());
    assert!(
        admin
            .password_hash
            .is_some_and(|h| h.verify(&Password::new("a long admin password")))
    );
}

async fn a_wrong_master_key_stops_start_up_and_writes_nothing(backend: Backend) {
    let env = TestEnv::new(backend).await;
    env.start(&[]).await;
    let before = key_count(&env).await;
    let wrong = SecretEnv {
        master_key: Some("q6vM1pUQm0N9kW1nX6w1bH2c3d4e5f6g7h8i9j0k1lM=".into()),
        admin_password: None,
    };
    let err = build_err(
        &env,
        &["--key-rotation-interval", "1h", "--key-publish-lead", "59m"],
        wrong,
    )
    .await;
    assert!(
        matches!(
            err,
            StartupError::Keys(valet_core::keys::KeyError::WrongMasterKey { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("master key"), "{err}");
    assert_eq!(
        key_count(&env).await,
        before,
        "no key was generated under the wrong master key"
    );
}

async fn a_lost_master_key_file_is_reported_not_replaced(backend: Backend) {
    let env = TestEnv::new(backend).await;
    env.start(&[]).await;
    let _ = std::fs::remove_file(env.dir.join("master.key"));
    let err = build_err(&env, &[], SecretEnv::default()).await;
    assert!(
        matches!(err, StartupError::MasterKey(ref m) if m.contains("does not exist")),
        "{err}"
    );
    assert!(!env.dir.join("master.key").exists());
}

async fn a_port_in_use_is_a_clear_error(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = taken
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let err = build_err(&env, &["--listen", &addr], SecretEnv::default()).await;
    assert!(matches!(err, StartupError::Listen { .. }), "{err}");
    assert_eq!(
        key_count(&env).await,
        0,
        "nothing was written before the port was known to be free"
    );
}

async fn a_provisioning_file_at_start_is_applied_before_the_admin_check(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let file = env.dir.join("provision.toml");
    std::fs::write(
        &file,
        "[[users]]\nusername = \"root\"\npassword = \"provisioned pw\"\nroles = [\"admin\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let app = Application::build(env.config(&[], SecretEnv::default()), Some(&file), true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(app.admin.is_none(), "the provisioned administrator counts");
}

crate::on_both_backends!(
    a_restart_keeps_the_keys_and_the_admin,
    the_first_admin_takes_its_password_from_the_environment,
    a_wrong_master_key_stops_start_up_and_writes_nothing,
    a_lost_master_key_file_is_reported_not_replaced,
    a_port_in_use_is_a_clear_error,
    a_provisioning_file_at_start_is_applied_before_the_admin_check
);

#[actix_web::test]
async fn an_unreachable_database_is_a_clear_error() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let err = build_err(
        &env,
        &["--database-url", "postgres://postgres@127.0.0.1:1/nothing"],
        SecretEnv::default(),
    )
    .await;
    assert!(matches!(err, StartupError::Database { .. }), "{err}");
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
}
