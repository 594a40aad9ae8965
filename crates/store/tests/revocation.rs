//! The revocation cascade and the outbox through the ports, on SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use valet_core::account::LinkPurpose;
use valet_core::audit::Actor;
use valet_core::client::Client;
use valet_core::code::{AuthorizationCode, CodeValue};
use valet_core::grant::Grant;
use valet_core::outbox::{DeliveryOutcome, OutboxStatus};
use valet_core::password::{Password, PasswordHash};
use valet_core::ports::{
    AccountStore, ClientStore, CodeStore, GrantStore, HousekeepingStore, InteractionStore,
    OutboxStore, SessionStore, TokenStore, UserStore,
};
use valet_core::random::OsRandom;
use valet_core::refresh::{RefreshToken, RefreshTokenValue};
use valet_core::revocation::{Cascade, Grants, LogoutPayload, cascade};
use valet_core::session::Session;
use valet_core::user::User;
use valet_store::Database;
use valet_store::entities::session_grants;

#[macro_use]
mod common;
use common::{
    client, code_for, events, first_of_chain, fresh, insert_code, now, reset_link, session, user,
    web_entry,
};

const BACKCHANNEL: &str = "https://web.example/backchannel";

async fn rp(db: &Database) -> Client {
    rp_requiring_sid(db, true).await
}

async fn rp_requiring_sid(db: &Database, session_required: bool) -> Client {
    let mut entry = web_entry("web");
    entry.backchannel_logout_uri = Some(BACKCHANNEL.into());
    entry.backchannel_logout_session_required = session_required;
    client(db, entry).await
}

async fn grant(db: &Database, user: &User, client: &Client, within: Option<&Session>) -> Grant {
    let t = now();
    let grant = Grant::new(user.id, client.id, vec!["openid".into()], t);
    db.save_grant(&grant, within.map(|s| s.id), t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    grant
}

/// A live refresh token of `grant`, bound to `session` (or offline), and its value.
async fn refresh(db: &Database, grant: &Grant, session: Option<&Session>) -> RefreshTokenValue {
    let t = now();
    let value = RefreshTokenValue::generate(&OsRandom);
    let token = RefreshToken {
        session_id: session.map(|s| s.id),
        ..first_of_chain(grant, t)
    };
    db.insert_refresh_token(&token, &value.hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    value
}

async fn code(db: &Database, grant: &Grant, session: &Session) -> CodeValue {
    let t = now();
    let value = CodeValue::generate(&OsRandom);
    let code = AuthorizationCode {
        scopes: grant.scopes.clone(),
        ..code_for(grant, Some(session.id), t)
    };
    insert_code(db, &code, &value).await;
    value
}

async fn refresh_revoked(db: &Database, value: &RefreshTokenValue) -> bool {
    db.find_refresh_token(&value.hash())
        .await
        .ok()
        .flatten()
        .is_some_and(|t| t.revoked_at.is_some())
}

async fn revoking_a_grant_reaches_everything_under_it_and_nothing_else(postgres: bool) {
    let db = fresh(postgres).await;
    let (alice, bob, web) = (
        user(&db, "alice").await,
        user(&db, "bob").await,
        rp(&db).await,
    );
    let s1 = session(&db, &alice, now()).await;
    let g = grant(&db, &alice, &web, Some(&s1)).await;
    let bound = refresh(&db, &g, Some(&s1)).await;
    let offline = refresh(&db, &g, None).await;
    let pending = code(&db, &g, &s1).await;
    let bobs_session = session(&db, &bob, now()).await;
    let bobs = grant(&db, &bob, &web, Some(&bobs_session)).await;
    let bobs_token = refresh(&db, &bobs, None).await;

    let plan = Cascade::revoke_grants(
        Grants::OfUserAndClient {
            user_id: alice.id,
            client: web.id,
        },
        "test",
    );
    let dry = cascade(&db, &plan, Actor::cli(), now(), true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (dry.grants, dry.refresh_tokens, dry.codes, dry.sessions),
        (1, 2, 1, 0)
    );
    assert_eq!(dry.notification_count, 1);
    assert!(dry.notifications.is_empty() && dry.dry_run);
    assert!(
        db.find_grant(g.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|g| g.is_live()),
        "a dry run changes nothing"
    );
    assert!(!refresh_revoked(&db, &bound).await);
    assert!(
        db.list_outbox(None, None, 10)
            .await
            .unwrap_or_default()
            .is_empty()
    );
    assert!(events(&db, "grants.revoked").await.is_empty());

    let report = cascade(&db, &plan, Actor::cli(), now(), false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            report.grants,
            report.refresh_tokens,
            report.codes,
            report.sessions
        ),
        (1, 2, 1, 0)
    );
    assert_eq!(report.notifications.len(), 1);
    assert!(
        db.find_grant(g.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|g| !g.is_live())
    );
    assert!(refresh_revoked(&db, &bound).await && refresh_revoked(&db, &offline).await);
    assert!(db.find_code(&pending.hash()).await.ok().flatten().is_none());
    let left = session_grants::Entity::find()
        .filter(session_grants::Column::GrantId.eq(g.id))
        .count(db.connection())
        .await
        .unwrap_or_default();
    assert_eq!(left, 0, "the grant is unbound from its sessions");
    assert!(
        db.find_session_by_id(s1.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|s| s.is_active(now())),
        "revoking a grant leaves the SSO session for other applications"
    );
    // Bob is untouched.
    assert!(
        db.find_grant(bobs.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|g| g.is_live())
    );
    assert!(!refresh_revoked(&db, &bobs_token).await);

    let queued = db
        .list_outbox(Some(OutboxStatus::Pending), None, 10)
        .await
        .unwrap_or_default();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].target, BACKCHANNEL);
    let payload: LogoutPayload =
        serde_json::from_str(&queued[0].payload).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(payload.aud, "web");
    assert_eq!(payload.sub, alice.id.to_string());
    assert_eq!(payload.sid, Some(s1.id.to_string()));

    let audited = events(&db, "grants.revoked").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].actor, "cli");
    assert_eq!(audited[0].details["refresh_tokens"], 2);
    assert_eq!(audited[0].details["reason"], "test");

    let again = cascade(&db, &plan, Actor::cli(), now(), false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (again.grants, again.refresh_tokens, again.notification_count),
        (0, 0, 0),
        "idempotent"
    );
}

async fn ending_a_session_kills_its_bound_tokens_but_not_offline_ones(postgres: bool) {
    let db = fresh(postgres).await;
    let (alice, web) = (user(&db, "alice").await, rp(&db).await);
    let s1 = session(&db, &alice, now()).await;
    let s2 = session(&db, &alice, now()).await;
    let g = grant(&db, &alice, &web, Some(&s1)).await;
    let bound = refresh(&db, &g, Some(&s1)).await;
    let other_device = refresh(&db, &g, Some(&s2)).await;
    let offline = refresh(&db, &g, None).await;
    let clients = db.session_clients(s1.id).await.unwrap_or_default();
    assert_eq!(
        clients.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![web.id]
    );

    let report = cascade(
        &db,
        &Cascade::end_session(s1.id, "logout"),
        Actor::user(alice.id),
        now(),
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (report.sessions, report.refresh_tokens, report.grants),
        (1, 1, 0)
    );
    assert_eq!(report.notification_count, 1);
    assert!(
        db.find_session_by_id(s1.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|s| s.ended_at.is_some())
    );
    assert!(refresh_revoked(&db, &bound).await);
    assert!(
        !refresh_revoked(&db, &other_device).await,
        "another session's tokens live on"
    );
    assert!(
        !refresh_revoked(&db, &offline).await,
        "offline_access outlives the session"
    );
    assert!(
        db.find_grant(g.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|g| g.is_live())
    );

    // A password change sets the password and ends the other sessions, not the current one.
    let s3 = session(&db, &alice, now()).await;
    let hash = PasswordHash::create(&Password::new("a new long password"))
        .unwrap_or_else(|e| panic!("{e}"));
    let changed = cascade(
        &db,
        &Cascade::set_password(alice.id, hash.clone(), Some(s3.id)),
        Actor::user(alice.id),
        now(),
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(changed.sessions, 1, "s2 only (s1 had ended)");
    let stored = db.find_user_by_id(alice.id).await.ok().flatten();
    assert_eq!(
        stored.and_then(|u| u.password_hash),
        Some(hash),
        "in the same transaction"
    );
    assert_eq!(events(&db, "user.password_set").await.len(), 1);
    assert!(refresh_revoked(&db, &other_device).await);
    assert!(
        refresh_revoked(&db, &offline).await,
        "a new password also ends the tokens bound to no session"
    );
    assert!(
        db.find_session_by_id(s3.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|s| s.is_active(now()))
    );
}

async fn the_outbox_hands_each_message_to_one_claimant_and_backs_off(postgres: bool) {
    let db = Arc::new(fresh(postgres).await);
    let (alice, web) = (user(&db, "alice").await, rp_requiring_sid(&db, false).await);
    grant(&db, &alice, &web, None).await;
    let report = cascade(
        db.as_ref(),
        &Cascade::user_cut_off(alice.id, "disabled"),
        Actor::cli(),
        now(),
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        report.notifications.len(),
        1,
        "sub-only token for a grant without a session"
    );
    let id = report.notifications[0];

    let t = now();
    let claims: Vec<_> = (0..10)
        .map(|_| {
            let db = Arc::clone(&db);
            tokio::spawn(async move { db.claim_due(t, Duration::seconds(30), 10).await })
        })
        .collect();
    let mut winners = 0;
    for claim in claims {
        let claimed = claim
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        winners += claimed.len();
        if let Some(m) = claimed.first() {
            assert_eq!((m.id, m.attempts), (id, 1));
        }
    }
    assert_eq!(winners, 1, "exactly one claimant");
    assert!(
        db.claim(&[id], t, Duration::seconds(30))
            .await
            .unwrap_or_default()
            .is_empty(),
        "leased"
    );
    let retry_at = t + Duration::seconds(10);
    // A late answer to a claim that is not the current one changes nothing.
    db.record_delivery(
        id,
        7,
        &DeliveryOutcome::Failed {
            error: "late".into(),
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    db.record_delivery(
        id,
        1,
        &DeliveryOutcome::Retry {
            error: "HTTP 503".into(),
            next_attempt_at: retry_at,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        db.claim_due(t + Duration::seconds(9), Duration::seconds(30), 10)
            .await
            .unwrap_or_default()
            .is_empty()
    );
    let again = db
        .claim_due(retry_at, Duration::seconds(30), 10)
        .await
        .unwrap_or_default();
    assert_eq!(
        again.iter().map(|m| m.attempts).collect::<Vec<_>>(),
        vec![2]
    );
    assert_eq!(again[0].last_error.as_deref(), Some("HTTP 503"));
    db.record_delivery(id, 2, &DeliveryOutcome::Delivered { at: retry_at })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let delivered = db
        .list_outbox(Some(OutboxStatus::Delivered), None, 10)
        .await
        .unwrap_or_default();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].delivered_at, Some(retry_at));
    assert!(
        db.claim_due(retry_at + Duration::days(1), Duration::seconds(30), 10)
            .await
            .unwrap_or_default()
            .is_empty()
    );
    // Finished deliveries stay visible for a while, then housekeeping removes them.
    let kept = db
        .purge_expired(now() + Duration::days(29), now())
        .await
        .unwrap_or_default();
    assert_eq!(kept.deliveries, 0);
    let purged = db
        .purge_expired(now() + Duration::days(31), now())
        .await
        .unwrap_or_default();
    assert_eq!(purged.deliveries, 1);
}

async fn disabling_an_account_and_cutting_its_access_is_one_change(postgres: bool) {
    let db = fresh(postgres).await;
    let (alice, web) = (user(&db, "alice").await, rp(&db).await);
    let s1 = session(&db, &alice, now()).await;
    grant(&db, &alice, &web, Some(&s1)).await;
    let dry = cascade(
        &db,
        &Cascade::disable_user(alice.id),
        Actor::cli(),
        now(),
        true,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        dry.account_changed && dry.grants == 1 && dry.sessions == 1,
        "{dry:?}"
    );
    let still = db.find_user_by_id(alice.id).await.ok().flatten();
    assert!(
        still.is_some_and(|u| !u.disabled),
        "a dry run disables nothing"
    );

    let done = cascade(
        &db,
        &Cascade::disable_user(alice.id),
        Actor::cli(),
        now(),
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(done.account_changed && done.grants == 1 && done.sessions == 1);
    let disabled = db.find_user_by_id(alice.id).await.ok().flatten();
    assert!(disabled.is_some_and(|u| u.disabled));
    let audited = events(&db, "user.disabled").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].details["account_changed"], true);
    let again = cascade(
        &db,
        &Cascade::disable_user(alice.id),
        Actor::cli(),
        now(),
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!again.account_changed && again.grants == 0, "idempotent");

    let client = cascade(
        &db,
        &Cascade::disable_client(web.id),
        Actor::cli(),
        now(),
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(client.account_changed);
    let found = db.find_client_by_id(web.id).await.ok().flatten();
    assert!(found.is_some_and(|c| c.metadata.disabled));
}

/// A password set through a reset link spends the link in the same transaction: it works once, and
/// a second use changes nothing at all.
async fn a_reset_link_is_spent_with_the_password_it_sets(postgres: bool) {
    let db = fresh(postgres).await;
    let alice = user(&db, "alice").await;
    let t = now();
    let (token, link) = reset_link(&db, &alice, t).await;
    let s1 = session(&db, &alice, t).await;
    let reset = |password: &str| {
        let hash = PasswordHash::create(&Password::new(password)).unwrap_or_else(|e| panic!("{e}"));
        (
            hash.clone(),
            Cascade::reset_password(alice.id, hash, token.id),
        )
    };
    let (first, plan) = reset("the first new password");
    let done = cascade(&db, &plan, Actor::user(alice.id), now(), false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(done.account_changed && done.sessions == 1, "{done:?}");
    assert_eq!(
        db.find_link(&link.hash(), LinkPurpose::ResetPassword)
            .await
            .ok()
            .flatten(),
        None,
        "spent"
    );

    // The same link again (a request that raced the first, or a replay): nothing changes.
    let s2 = session(&db, &alice, now()).await;
    let (_, plan) = reset("a second new password");
    let again = cascade(&db, &plan, Actor::user(alice.id), now(), false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!again.account_changed && again.sessions == 0, "{again:?}");
    let stored = db.find_user_by_id(alice.id).await.ok().flatten();
    assert_eq!(stored.and_then(|u| u.password_hash), Some(first));
    let alive = |id| {
        let db = &db;
        async move {
            db.find_session_by_id(id)
                .await
                .ok()
                .flatten()
                .is_some_and(|s| s.is_active(now()))
        }
    };
    assert!(!alive(s1.id).await && alive(s2.id).await);
    assert_eq!(events(&db, "user.password_set").await.len(), 1);
}

/// A provisioning file that gives a user a new password ends their sessions and their sign-ins
/// past the password, as an administrator's password change does; one that disables them cuts
/// their grants too, and one that disables a client revokes its grants. Each is audited with its
/// counts, in the run's transaction.
async fn provisioning_that_cuts_access_runs_the_cascade(postgres: bool) {
    let db = fresh(postgres).await;
    let file = |password: &str, disabled: bool| {
        format!(
            "[[clients]]\nclient_id = \"web\"\nclient_name = \"Web\"\n\
             client_secret = \"{secret}\"\nredirect_uris = [\"https://web.example/cb\"]\n\
             disabled = {disabled}\n\
             [[users]]\nusername = \"alice\"\npassword = \"{password}\"\ndisabled = {disabled}\n",
            secret = "s".repeat(40)
        )
    };
    let apply = |text: String| {
        let db = &db;
        async move {
            valet_core::provision::apply(&text, db, now(), Actor::provision(), None)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    apply(file("the first password", false)).await;
    let alice = db
        .find_user(&valet_core::user::Username::parse("alice").unwrap_or_else(|e| panic!("{e}")))
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("alice was provisioned"));
    let web = db
        .find_client(&valet_core::client::ClientId::parse("web").unwrap_or_else(|e| panic!("{e}")))
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("web was provisioned"));
    let s1 = session(&db, &alice, now()).await;
    let (mut pending, handle) = valet_core::interaction::Interaction::start(
        web.id,
        Default::default(),
        valet_core::interaction::Stage::SecondFactor,
        now(),
        &OsRandom,
    );
    pending.user_id = Some(alice.id);
    db.insert_interaction(&pending, &handle.hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    grant(&db, &alice, &web, Some(&s1)).await;

    apply(file("a new password for alice", false)).await;
    let ended = db.find_session_by_id(s1.id).await.ok().flatten();
    assert!(
        ended.is_some_and(|s| s.ended_at.is_some()),
        "her session ended"
    );
    let gone = db.find_interaction(&handle.hash()).await.ok().flatten();
    assert!(gone.is_none(), "her sign-in past the old password ended");
    let audited = events(&db, "user.password_set").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].details["sessions"], 1);
    assert_eq!(audited[0].details["grants"], 0, "consent is unchanged");

    // A new password and the disabling at once: one cascade, the disabling's, cuts everything.
    apply(file("a third password for alice", true)).await;
    let disabled = events(&db, "user.disabled").await;
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0].details["grants"], 1, "her grant is revoked");
    assert_eq!(events(&db, "client.disabled").await.len(), 1);
    assert_eq!(events(&db, "user.password_set").await.len(), 1);
    let client = events(&db, "client.disabled").await;
    assert_eq!(
        client[0].target_id.as_deref(),
        Some("web"),
        "named by its client_id"
    );
}

on_both!(
    provisioning_that_cuts_access_runs_the_cascade,
    revoking_a_grant_reaches_everything_under_it_and_nothing_else,
    ending_a_session_kills_its_bound_tokens_but_not_offline_ones,
    the_outbox_hands_each_message_to_one_claimant_and_backs_off,
    disabling_an_account_and_cutting_its_access_is_one_change,
    a_reset_link_is_spent_with_the_password_it_sets
);
