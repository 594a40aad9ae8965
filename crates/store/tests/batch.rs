//! A batch of writes (`BatchStore`): everything a login's code needs in one round trip, all or
//! none, on SQLite and PostgreSQL.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement, TransactionTrait};
use uuid::Uuid;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::client::Client;
use valet_core::code::{AuthorizationCode, CodeValue};
use valet_core::grant::Grant;
use valet_core::interaction::{Interaction, InteractionHandle, Stage};
use valet_core::password::{Password, PasswordHash};
use valet_core::ports::{
    AdminStore, BatchStore, ClientStore, CodeStore, GrantStore, InteractionStore, RevocationStore,
    SessionStore, StoreError, UserStore, Write,
};
use valet_core::random::OsRandom;
use valet_core::revocation::Cascade;
use valet_core::session::{SessionToken, SignInCheck};
use valet_core::user::User;
use valet_store::Database;

#[macro_use]
mod common;
use common::{code_for, events, fresh, now, start_session, user_and_client};

/// A login's writes: its session, the end of its interaction, the grant bound to the session and
/// the code (with `code_value`) issued under both.
fn login_writes(
    user: &User,
    client: &Client,
    interaction: Uuid,
    code_value: &CodeValue,
    t: DateTime<Utc>,
) -> (Vec<Write>, SessionToken, AuthorizationCode) {
    let (session, token) = start_session(user, t);
    let grant = Grant::new(user.id, client.id, vec!["openid".into()], t);
    let code = code_for(&grant, Some(session.id), t);
    let writes = vec![
        Write::InsertSession {
            session: session.clone(),
            token_hash: token.hash(),
            checked: SignInCheck {
                password_hash: user.password_hash.clone(),
                interaction: Some(interaction),
            },
        },
        Write::DeleteInteraction(interaction),
        Write::SaveGrant {
            grant,
            session_id: Some(session.id),
            at: t,
        },
        Write::InsertCode {
            code: code.clone(),
            code_hash: code_value.hash(),
        },
    ];
    (writes, token, code)
}

/// Whether a login's session and its interaction are in the database.
async fn stored(db: &Database, token: &SessionToken, handle: &InteractionHandle) -> (bool, bool) {
    let session = db.find_session(&token.hash()).await.ok().flatten();
    let interaction = db.find_interaction(&handle.hash()).await.ok().flatten();
    (session.is_some(), interaction.is_some())
}

/// A stored interaction at the login page: its id and handle.
async fn interaction(
    db: &Database,
    client: &Client,
    t: DateTime<Utc>,
) -> (Uuid, InteractionHandle) {
    let (interaction, handle) =
        Interaction::start(client.id, BTreeMap::new(), Stage::Login, t, &OsRandom);
    db.insert_interaction(&interaction, &handle.hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (interaction.id, handle)
}

/// A stored interaction past `user`'s password, waiting for their second factor.
async fn second_factor(
    db: &Database,
    client: &Client,
    user: &User,
    t: DateTime<Utc>,
) -> (Uuid, InteractionHandle) {
    let (mut interaction, handle) = Interaction::start(
        client.id,
        BTreeMap::new(),
        Stage::SecondFactor,
        t,
        &OsRandom,
    );
    interaction.user_id = Some(user.id);
    db.insert_interaction(&interaction, &handle.hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (interaction.id, handle)
}

async fn a_login_batch_writes_everything_at_once(postgres: bool) {
    let db = fresh(postgres).await;
    let (user, client) = user_and_client(&db).await;
    let t = now();
    let (started, handle) = interaction(&db, &client, t).await;
    let value = CodeValue::generate(&OsRandom);
    let (writes, token, code) = login_writes(&user, &client, started, &value, t);
    db.write_batch(writes)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(stored(&db, &token, &handle).await, (true, false));
    let session = db.find_session(&token.hash()).await.ok().flatten();
    assert_eq!(session.as_ref().map(|s| s.user_id), Some(user.id));
    let grant = db.find_live_grant(user.id, client.id).await.ok().flatten();
    assert_eq!(grant.map(|g| g.id), Some(code.grant_id));
    let issued = db.find_code(&value.hash()).await.ok().flatten();
    assert_eq!(issued, Some(code));
    let bound = db
        .session_clients(session.map_or_else(Uuid::nil, |s| s.id))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        bound.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![client.id],
        "the grant is bound to the session"
    );
    db.write_batch(Vec::new())
        .await
        .unwrap_or_else(|e| panic!("an empty batch: {e}"));
}

/// A batch that fails on its last write leaves nothing of the others, and the connection it ran
/// on is used again out of any transaction (the batches' own on a SQLite file, the pool's on
/// PostgreSQL): the next batches still write (on SQLite a transaction left open would keep the
/// write lock, and they would time out).
async fn a_failed_batch_writes_nothing_and_the_next_ones_do(postgres: bool) {
    let db = fresh(postgres).await;
    let (user, client) = user_and_client(&db).await;
    let t = now();
    let taken = CodeValue::generate(&OsRandom);
    let (first, _) = interaction(&db, &client, t).await;
    let (writes, _, _) = login_writes(&user, &client, first, &taken, t);
    db.write_batch(writes)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    for round in 0..25 {
        let (pending, handle) = interaction(&db, &client, t).await;
        // The same code hash again: the last write violates a unique key.
        let (writes, token, code) = login_writes(&user, &client, pending, &taken, t);
        match db.write_batch(writes).await {
            Err(StoreError::Conflict(_)) => {}
            other => panic!("round {round}: expected a conflict, got {other:?}"),
        }
        assert_eq!(
            stored(&db, &token, &handle).await,
            (false, true),
            "round {round}: no session, the interaction stays"
        );
        assert!(db.find_grant(code.grant_id).await.ok().flatten().is_none());

        let fresh_value = CodeValue::generate(&OsRandom);
        let (writes, token, _) = login_writes(&user, &client, pending, &fresh_value, t);
        db.write_batch(writes)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(stored(&db, &token, &handle).await, (true, false));
    }
}

/// A login whose sign-in no longer holds (another password, a disabled account, its interaction
/// gone) writes nothing, and says so (`Stale`), not as a storage failure.
async fn a_login_batch_is_refused_once_its_sign_in_no_longer_holds(postgres: bool) {
    let db = fresh(postgres).await;
    let (user, client) = user_and_client(&db).await;
    let t = now();
    let (pending, handle) = interaction(&db, &client, t).await;
    let stale = |writes: Vec<Write>| {
        let db = &db;
        async move { matches!(db.write_batch(writes).await, Err(StoreError::Stale(_))) }
    };
    let code = || CodeValue::generate(&OsRandom);

    let hash = PasswordHash::create(&Password::new("the password checked"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut checked_against_another = user.clone();
    checked_against_another.password_hash = Some(hash);
    let (writes, token, _) = login_writes(&checked_against_another, &client, pending, &code(), t);
    assert!(stale(writes).await, "another password than the account's");
    assert_eq!(stored(&db, &token, &handle).await, (false, true));

    let (writes, token, _) = login_writes(&user, &client, Uuid::now_v7(), &code(), t);
    assert!(stale(writes).await, "an interaction that is gone");
    assert!(!stored(&db, &token, &handle).await.0);

    let event = AuditEvent::new(t, Actor::cli(), "user.disabled");
    db.set_disabled(user.id, true, t, &event)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (writes, token, _) = login_writes(&user, &client, pending, &code(), t);
    assert!(stale(writes).await, "a disabled account");
    assert_eq!(stored(&db, &token, &handle).await, (false, true));
}

/// Disables `user` in a transaction left open: a change to the account under way.
async fn disabling(db: &Database, postgres: bool, user: &User) -> DatabaseTransaction {
    let conn = db.connection();
    let change = conn.begin().await.unwrap_or_else(|e| panic!("{e}"));
    let sql = if postgres {
        "UPDATE users SET disabled = $1 WHERE id = $2"
    } else {
        "UPDATE users SET disabled = ? WHERE id = ?"
    };
    let disable = Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        [true.into(), user.id.into()],
    );
    change
        .execute_raw(disable)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    change
}

/// A change to the account under way when the login's batch runs (its row updated, not yet
/// committed) is waited for, then seen: the batch is refused. On PostgreSQL the session's insert
/// waits on the row's lock and re-reads it; on SQLite it waits for the write lock.
async fn a_login_batch_waits_for_a_change_under_way_and_sees_it(postgres: bool) {
    let db = fresh(postgres).await;
    let (user, client) = user_and_client(&db).await;
    let t = now();
    let (pending, handle) = interaction(&db, &client, t).await;
    let change = disabling(&db, postgres, &user).await;
    let (writes, token, _) =
        login_writes(&user, &client, pending, &CodeValue::generate(&OsRandom), t);
    let (result, committed) = tokio::join!(db.write_batch(writes), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        change.commit().await
    });
    committed.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(result, Err(StoreError::Stale(_))),
        "the login saw the change it waited for: {result:?}"
    );
    assert_eq!(stored(&db, &token, &handle).await, (false, true));
}

/// `credentials_hold`: the account enabled with the hash checked, read after a change under way
/// commits (on PostgreSQL the read waits on the row's lock; SQLite shows only what committed, and
/// the change commits within the test's join either way).
async fn credentials_are_read_once_a_change_under_way_commits(postgres: bool) {
    let db = fresh(postgres).await;
    let (user, _) = user_and_client(&db).await;
    let holds = |hash: Option<PasswordHash>| {
        let db = &db;
        async move {
            db.credentials_hold(user.id, hash.as_ref())
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    assert!(holds(None).await, "the account's own (no) password");
    let other =
        PasswordHash::create(&Password::new("another password")).unwrap_or_else(|e| panic!("{e}"));
    assert!(!holds(Some(other)).await, "another password");
    let change = disabling(&db, postgres, &user).await;
    let (held, committed) = tokio::join!(holds(None), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        change.commit().await
    });
    committed.unwrap_or_else(|e| panic!("{e}"));
    if postgres {
        assert!(!held, "the read waited for the disabling and saw it");
    }
    assert!(!holds(None).await, "a disabled account");
}

/// Waits until `count` statements of this database wait on a lock (PostgreSQL).
async fn lock_waits(db: &Database, count: i64) {
    let conn = db.connection();
    let waiting = Statement::from_string(
        conn.get_database_backend(),
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    for _ in 0..500 {
        let row = conn.query_one_raw(waiting.clone()).await;
        let n: i64 = row
            .ok()
            .flatten()
            .and_then(|r| r.try_get("", "n").ok())
            .unwrap_or_default();
        if n >= count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{count} statements never waited on a lock");
}

/// A second factor's login batch and a password change of the same account, each waiting on
/// the other's rows, do not deadlock: the batch locks the account first, as the change does, so
/// one waits for the other to commit. Here a third transaction holds the interaction while the
/// batch and then the change start: the batch holds the account and waits for the interaction,
/// the change waits for the account. Once the interaction is let go, the batch commits, and the
/// change ends the session it wrote.
async fn a_second_factor_login_and_a_password_change_do_not_deadlock() {
    let db = fresh(true).await;
    let (user, client) = user_and_client(&db).await;
    let t = now();
    let (pending, handle) = second_factor(&db, &client, &user, t).await;
    let conn = db.connection();
    let holder = conn.begin().await.unwrap_or_else(|e| panic!("{e}"));
    holder
        .execute_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT id FROM interactions WHERE id = $1 FOR UPDATE",
            [pending.into()],
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (writes, token, _) =
        login_writes(&user, &client, pending, &CodeValue::generate(&OsRandom), t);
    let batch = tokio::spawn({
        let db = db.clone();
        async move { db.write_batch(writes).await }
    });
    lock_waits(&db, 1).await;
    let hash =
        PasswordHash::create(&Password::new("a new password")).unwrap_or_else(|e| panic!("{e}"));
    let event = AuditEvent::new(t, Actor::cli(), "user.password_set");
    let change = tokio::spawn({
        let db = db.clone();
        async move {
            db.cascade(
                &Cascade::set_password(user.id, hash, None),
                t,
                &event,
                false,
            )
            .await
        }
    });
    lock_waits(&db, 2).await;
    holder.commit().await.unwrap_or_else(|e| panic!("{e}"));

    let batch = batch.await.unwrap_or_else(|e| panic!("{e}"));
    assert!(batch.is_ok(), "the login batch: {batch:?}");
    let report = change
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("the password change: {e}"));
    assert_eq!(report.sessions, 1, "the change ended the login's session");
    let session = db.find_session(&token.hash()).await.ok().flatten();
    assert!(session.is_some_and(|s| s.ended_at.is_some()));
    assert!(!stored(&db, &token, &handle).await.1);
}

/// Runs `delete` while a transaction holds a row it cascades into (`hold`, as a login's batch or a
/// consent's holds its interaction or grant) and then references the row being deleted (`refer`, as
/// the batch's foreign key checks do, last): each waits for the other. The holder's deadlock
/// timeout is the longer, so PostgreSQL ends the deletion; the holder then commits, and what the
/// deletion finally returns is returned.
async fn delete_meeting_a_writer(
    db: &Database,
    (hold, held): (&str, Uuid),
    (refer, referred): (&str, Uuid),
    delete: impl Future<Output = Result<(), StoreError>> + Send + 'static,
) -> Result<(), StoreError> {
    let conn = db.connection();
    let writer = conn.begin().await.unwrap_or_else(|e| panic!("{e}"));
    let run = |sql: &str, id: Uuid| {
        Statement::from_sql_and_values(conn.get_database_backend(), sql, [id.into()])
    };
    writer
        .execute_unprepared("SET LOCAL deadlock_timeout = '10s'")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    writer
        .execute_raw(run(hold, held))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let delete = tokio::spawn(delete);
    lock_waits(db, 1).await;
    // PostgreSQL looks for a deadlock once, when a wait outlasts its timeout: were this machine to
    // stall past the deletion's second, the deletion's look would find none yet and the writer's
    // would end the writer instead. The deletion must then succeed at once.
    match writer.execute_raw(run(refer, referred)).await {
        Ok(_) => writer.commit().await.unwrap_or_else(|e| panic!("{e}")),
        Err(_) => writer.rollback().await.unwrap_or_else(|e| panic!("{e}")),
    }
    delete.await.unwrap_or_else(|e| panic!("{e}"))
}

/// An administrator deletes a client while one of its sign-ins' batches has ended the sign-in's
/// interaction and is about to reference the client: PostgreSQL breaks the deadlock by ending
/// the deletion, which runs again once the batch has committed and deletes the client (audited
/// once).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_deleted_during_one_of_its_sign_ins_is_deleted_on_postgres() {
    let db = fresh(true).await;
    let (_, client) = user_and_client(&db).await;
    let (pending, _) = interaction(&db, &client, now()).await;
    let event = AuditEvent::new(now(), Actor::cli(), "client.deleted");
    let deleted = delete_meeting_a_writer(
        &db,
        ("DELETE FROM interactions WHERE id = $1", pending),
        (
            "SELECT 1 FROM clients WHERE id = $1 FOR KEY SHARE",
            client.id,
        ),
        {
            let db = db.clone();
            async move { db.delete_client(client.id, &event).await }
        },
    )
    .await;
    assert!(deleted.is_ok(), "{deleted:?}");
    assert!(
        db.find_client_by_id(client.id)
            .await
            .ok()
            .flatten()
            .is_none()
    );
    assert_eq!(events(&db, "client.deleted").await.len(), 1);
}

/// The same for a user whose grant a consent's batch is saving.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_deleted_during_a_consent_to_their_grant_is_deleted_on_postgres() {
    let db = fresh(true).await;
    let (user, client) = user_and_client(&db).await;
    let t = now();
    let (pending, _) = interaction(&db, &client, t).await;
    let (writes, _, code) =
        login_writes(&user, &client, pending, &CodeValue::generate(&OsRandom), t);
    db.write_batch(writes)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let event = AuditEvent::new(t, Actor::cli(), "user.deleted");
    let deleted = delete_meeting_a_writer(
        &db,
        (
            "SELECT id FROM grants WHERE id = $1 FOR UPDATE",
            code.grant_id,
        ),
        ("SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE", user.id),
        {
            let db = db.clone();
            async move { db.delete_user(user.id, &event).await }
        },
    )
    .await;
    assert!(deleted.is_ok(), "{deleted:?}");
    assert!(db.find_user_by_id(user.id).await.ok().flatten().is_none());
    assert_eq!(events(&db, "user.deleted").await.len(), 1);
}

/// On SQLite, a login's writes and an account change (a disabling) holding the write lock they
/// will wait for.
async fn a_login_behind_a_change_on_sqlite()
-> (Database, (User, Client), DatabaseTransaction, Vec<Write>) {
    let db = fresh(false).await;
    let (user, client) = user_and_client(&db).await;
    let t = now();
    let (pending, _) = interaction(&db, &client, t).await;
    let change = disabling(&db, false, &user).await;
    let (writes, _, _) = login_writes(&user, &client, pending, &CodeValue::generate(&OsRandom), t);
    (db, (user, client), change, writes)
}

/// A batch abandoned while it waits for SQLite's write lock (its request dropped) takes its
/// connection with it: the next batch runs on a new one, and writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_abandoned_while_waiting_leaves_the_next_one_free_on_sqlite() {
    let (db, (user, client), change, writes) = a_login_behind_a_change_on_sqlite().await;
    let t = now();
    let abandoned = tokio::time::timeout(Duration::from_millis(200), db.write_batch(writes)).await;
    assert!(abandoned.is_err(), "the batch waited for the lock");
    change.rollback().await.unwrap_or_else(|e| panic!("{e}"));
    let (next, handle) = interaction(&db, &client, t).await;
    let (writes, token, _) = login_writes(&user, &client, next, &CodeValue::generate(&OsRandom), t);
    db.write_batch(writes)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored(&db, &token, &handle).await, (true, false));
}

/// A write still waiting for SQLite's write lock when the busy timeout (5 s) is over fails as
/// `Unavailable` (answered 503, worth retrying), not as a storage failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_that_outwaits_the_busy_timeout_is_unavailable_on_sqlite() {
    let (db, _, change, writes) = a_login_behind_a_change_on_sqlite().await;
    let result = db.write_batch(writes).await;
    change.rollback().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_factor_login_and_a_password_change_do_not_deadlock_on_postgres() {
    a_second_factor_login_and_a_password_change_do_not_deadlock().await;
}

on_both!(
    a_login_batch_writes_everything_at_once,
    a_failed_batch_writes_nothing_and_the_next_ones_do,
    a_login_batch_is_refused_once_its_sign_in_no_longer_holds,
    a_login_batch_waits_for_a_change_under_way_and_sees_it,
    credentials_are_read_once_a_change_under_way_commits
);
