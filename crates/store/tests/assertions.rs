//! `AssertionReplayStore` on SQLite and PostgreSQL: an assertion's `jti` is accepted once per client,
//! only its hash is stored, and rows of expired assertions are purged on the way.

use std::error::Error;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;
use valet_core::client::ClientId;
use valet_core::ports::{AssertionReplayStore, assertion_key};
use valet_store::Database;
use valet_store::entities::used_assertions;

type TestResult = Result<(), Box<dyn Error + Send + Sync>>;

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[tokio::test]
async fn assertions_are_recorded_once_on_sqlite() -> TestResult {
    let path = std::env::temp_dir().join(format!(
        "valet_assertions_test_{}.sqlite",
        Uuid::now_v7().simple()
    ));
    let db = Database::connect(&format!("sqlite://{}?mode=rwc", path.display()), 1).await?;
    let outcome = prove_isolated(db.clone()).await;
    db.connection().clone().close().await?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    outcome
}

#[tokio::test]
async fn assertions_are_recorded_once_on_postgres() -> TestResult {
    let admin = sea_orm::Database::connect(PG_ADMIN_URL).await?;
    let name = format!("valet_assertions_test_{}", Uuid::now_v7().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let outcome =
        match Database::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"), 2).await {
            Ok(db) => {
                let outcome = prove_isolated(db.clone()).await;
                db.connection().clone().close().await?;
                outcome
            }
            Err(err) => Err(err.into()),
        };
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await?;
    outcome
}

/// Runs the proof on its own task so a failed assertion becomes an error and the caller still drops
/// its database.
async fn prove_isolated(db: Database) -> TestResult {
    tokio::spawn(async move { prove_replay_store(&db).await })
        .await
        .map_err(|join| format!("replay store proof failed: {join}"))?
}

async fn prove_replay_store(db: &Database) -> TestResult {
    db.migrate().await?;
    let app = ClientId::parse("app")?;
    let other = ClientId::parse("other")?;
    let until = Utc::now() + Duration::minutes(2);

    assert!(
        db.record_assertion(&app, "jti-1", until).await?,
        "first use is recorded"
    );
    assert!(
        !db.record_assertion(&app, "jti-1", until).await?,
        "second use is a replay"
    );
    assert!(
        db.record_assertion(&other, "jti-1", until).await?,
        "another client may use the same jti"
    );

    let rows = used_assertions::Entity::find().all(db.connection()).await?;
    let mut stored: Vec<_> = rows.iter().map(|r| r.jti_hash.clone()).collect();
    stored.sort();
    let mut expected = vec![assertion_key(&app, "jti-1"), assertion_key(&other, "jti-1")];
    expected.sort();
    assert_eq!(stored, expected, "only hashes are stored, never the jti");

    let past = Utc::now() - Duration::minutes(1);
    assert!(db.record_assertion(&app, "old", past).await?);
    assert!(db.record_assertion(&app, "jti-2", until).await?);
    let old = used_assertions::Entity::find_by_id(assertion_key(&app, "old"))
        .one(db.connection())
        .await?;
    assert_eq!(old, None, "rows of expired assertions are purged");
    let kept = used_assertions::Entity::find_by_id(assertion_key(&app, "jti-1"))
        .one(db.connection())
        .await?;
    assert!(kept.is_some(), "rows of live assertions stay");
    Ok(())
}
