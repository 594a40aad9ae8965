//! `AccountStore` on SQLite and PostgreSQL: mailed links are single-use and purpose-bound, an
//! address is verified only while it is the user's, TOTP steps and recovery codes are accepted once
//! even under concurrency, a profile rewrite never drops the second factor, and a hash upgrade loses
//! to a concurrent password change.

use std::sync::Arc;

use uuid::Uuid;
use valet_core::account::{AccountLink, AccountToken, LinkPurpose, MAIL_KIND, QueuedMail};
use valet_core::audit::{Actor, AuditEvent};
use valet_core::outbox::OutboxStatus;
use valet_core::password::{Password, PasswordHash};
use valet_core::ports::{
    AccountStore, AdminStore, HousekeepingStore, OutboxStore, SecondFactorStore, UserStore,
};
use valet_core::random::OsRandom;
use valet_core::secret::SecretHash;
use valet_core::user::{StandardClaims, User, Username};

#[macro_use]
mod common;
use common::{fresh, link, now, reset_link, user};

fn event(action: &'static str) -> AuditEvent {
    AuditEvent::new(now(), Actor::system(), action)
}

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("{e}"))
}

async fn links_are_single_use_purpose_bound_and_queue_their_mail(postgres: bool) {
    let db = fresh(postgres).await;
    let alice = user(&db, "alice").await;
    let t = now();
    let (token, link) = reset_link(&db, &alice, t).await;

    let queued = ok(db.list_outbox(Some(OutboxStatus::Pending), None, 10).await);
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].kind.as_str(), queued[0].target.as_str()),
        (MAIL_KIND, "alice@example.com")
    );
    assert_eq!(queued[0].payload, "v1.sealed");

    let found = ok(db.find_link(&link.hash(), LinkPurpose::ResetPassword).await);
    assert_eq!(found.as_ref().map(|f| f.id), Some(token.id));
    assert_eq!(
        ok(db.find_link(&link.hash(), LinkPurpose::VerifyEmail).await),
        None,
        "a reset link does not verify an address"
    );
    assert!(
        !ok(db.use_link(token.id, token.expires_at).await),
        "expired"
    );
    let db = Arc::new(db);
    let racing: Vec<_> = (0..5)
        .map(|_| {
            let db = Arc::clone(&db);
            tokio::spawn(async move { db.use_link(token.id, t).await })
        })
        .collect();
    let mut used = 0;
    for race in racing {
        used += usize::from(ok(ok(race.await)));
    }
    assert_eq!(used, 1, "exactly one of five concurrent uses wins");
}

async fn a_verified_address_becomes_the_users_unless_another_account_has_it(postgres: bool) {
    let db = fresh(postgres).await;
    let mut alice = user(&db, "alice").await;
    alice.claims.email = Some("Alice@Example.com".into());
    ok(db.update_user(&alice, &event("user.updated")).await);
    let mut bob = user(&db, "bob").await;
    bob.claims.email = Some("bob@example.com".into());
    ok(db.update_user(&bob, &event("user.updated")).await);
    let verify = |link: Uuid, email: &'static str| {
        let db = &db;
        async move {
            ok(db
                .verify_email(link, alice.id, email, now(), &event("user.email_verified"))
                .await)
        }
    };
    let (first, _) = link(&db, &alice, LinkPurpose::VerifyEmail, now()).await;
    let (_, pending_reset) = reset_link(&db, &alice, now()).await;
    assert!(
        !verify(first.id, "BOB@example.com").await,
        "bob's address stays bob's"
    );
    assert!(
        verify(first.id, "alice@new.example").await,
        "a refused verification leaves its link usable"
    );
    let reset_of = |link: valet_core::account::AccountLink| {
        let db = &db;
        async move { ok(db.find_link(&link.hash(), LinkPurpose::ResetPassword).await) }
    };
    assert_eq!(
        reset_of(pending_reset).await,
        None,
        "reset links mailed to the replaced address die with it"
    );
    let (again, _) = link(&db, &alice, LinkPurpose::VerifyEmail, now()).await;
    let (_, kept_reset) = reset_link(&db, &alice, now()).await;
    assert!(verify(again.id, "alice@new.example").await);
    assert!(
        reset_of(kept_reset).await.is_some(),
        "verifying the same address again keeps its reset links"
    );
    assert!(
        !verify(first.id, "alice@other.example").await,
        "the link was spent with the verification"
    );
    let stored = ok(db.find_user_by_id(alice.id).await).unwrap_or_else(|| panic!("user"));
    assert_eq!(stored.claims.email.as_deref(), Some("alice@new.example"));
    assert!(stored.claims.email_verified);

    // Sign-in by address: case-insensitive, and an address two accounts share signs in neither.
    let by_email = |email: &'static str| {
        let db = &db;
        async move { ok(db.find_user_by_email(email).await).map(|u| u.username) }
    };
    assert_eq!(
        by_email("ALICE@new.example").await,
        Some(alice.username.clone())
    );
    assert_eq!(by_email("nobody@example.com").await, None);
    let mut carol = user(&db, "carol").await;
    carol.claims.email = Some("Bob@Example.com".into());
    ok(db.update_user(&carol, &event("user.updated")).await);
    assert_eq!(
        by_email("bob@example.com").await,
        None,
        "shared by bob and carol"
    );
    carol.claims.email = Some("ÉMILE.Ørsted@Example.com".into());
    ok(db.update_user(&carol, &event("user.updated")).await);
    assert_eq!(
        by_email("bob@example.com").await,
        Some(bob.username.clone())
    );
    assert_eq!(
        by_email("émile.ørsted@example.COM").await,
        Some(carol.username.clone()),
        "capitals beyond ASCII fold alike on every backend"
    );
}

async fn totp_steps_and_recovery_codes_are_accepted_once(postgres: bool) {
    let db = Arc::new(fresh(postgres).await);
    let alice = user(&db, "alice").await;
    assert!(!ok(db.mfa(alice.id).await).enabled());
    assert!(ok(db.begin_totp(alice.id, "v1.first").await));
    assert!(
        ok(db.begin_totp(alice.id, "v1.second").await),
        "an unconfirmed enrolment restarts"
    );
    assert!(
        !ok(db.mfa(alice.id).await).enabled(),
        "not before confirmation"
    );
    let read = |db: Arc<valet_store::Database>| async move {
        ok(db.find_user_by_id(alice.id).await).map(|u| u.second_factor)
    };
    assert_eq!(read(Arc::clone(&db)).await, Some(false));

    let codes: Vec<SecretHash> = (0..10)
        .map(|i| SecretHash::of(format!("code-{i}").as_bytes()))
        .collect();
    assert!(
        !ok(db
            .confirm_totp(
                alice.id,
                "v1.first",
                100,
                &codes,
                now(),
                &event("user.mfa_enabled")
            )
            .await),
        "only the secret the code was checked against"
    );
    assert!(ok(db
        .confirm_totp(
            alice.id,
            "v1.second",
            100,
            &codes,
            now(),
            &event("user.mfa_enabled")
        )
        .await));
    let state = ok(db.mfa(alice.id).await);
    assert!(state.enabled());
    assert_eq!(
        read(Arc::clone(&db)).await,
        Some(true),
        "read with the user"
    );
    assert_eq!(
        (
            state.totp_sealed.as_deref(),
            state.last_step,
            state.recovery_codes_left
        ),
        (Some("v1.second"), Some(100), 10)
    );
    assert!(
        !ok(db.begin_totp(alice.id, "v1.third").await),
        "a confirmed factor is removed first"
    );
    assert!(!ok(db
        .confirm_totp(
            alice.id,
            "v1.second",
            101,
            &codes,
            now(),
            &event("user.mfa_enabled")
        )
        .await));

    assert!(
        !ok(db.advance_totp_step(alice.id, 100).await),
        "the confirming code's step is spent"
    );
    let racing: Vec<_> = (0..5)
        .map(|_| {
            let db = Arc::clone(&db);
            tokio::spawn(async move { db.advance_totp_step(alice.id, 101).await })
        })
        .collect();
    let mut accepted = 0;
    for race in racing {
        accepted += usize::from(ok(ok(race.await)));
    }
    assert_eq!(accepted, 1, "one code, one login, even across replicas");
    assert!(
        !ok(db.advance_totp_step(alice.id, 99).await),
        "no going back"
    );

    assert!(ok(db
        .use_recovery_code(
            alice.id,
            &codes[3],
            now(),
            &event("user.recovery_code_used")
        )
        .await));
    assert!(!ok(db
        .use_recovery_code(
            alice.id,
            &codes[3],
            now(),
            &event("user.recovery_code_used")
        )
        .await));
    assert_eq!(ok(db.mfa(alice.id).await).recovery_codes_left, 9);
    ok(db
        .replace_recovery_codes(
            alice.id,
            &codes[..2],
            now(),
            &event("user.recovery_codes_renewed"),
        )
        .await);
    assert_eq!(ok(db.mfa(alice.id).await).recovery_codes_left, 2);

    let mut edited = ok(db.find_user_by_id(alice.id).await).unwrap_or_else(|| panic!("user"));
    edited.claims = StandardClaims {
        name: Some("Alice".into()),
        ..Default::default()
    };
    ok(db.update_user(&edited, &event("user.updated")).await);
    assert!(
        ok(db.mfa(alice.id).await).enabled(),
        "a profile edit keeps the second factor"
    );

    let pending_before = ok(db.list_outbox(Some(OutboxStatus::Pending), None, 10).await).len();
    let notice = QueuedMail {
        id: Uuid::now_v7(),
        to: "alice@example.com".into(),
        sealed: "v1.notice".into(),
        queued_at: now(),
    };
    let queued = event("mail.mfa_reset");
    assert!(ok(db
        .remove_mfa(
            alice.id,
            now(),
            &event("user.mfa_reset"),
            Some((&notice, &queued))
        )
        .await));
    let state = ok(db.mfa(alice.id).await);
    assert!(!state.enabled());
    assert_eq!((state.totp_sealed, state.recovery_codes_left), (None, 0));
    assert_eq!(read(Arc::clone(&db)).await, Some(false));
    let pending = ok(db.list_outbox(Some(OutboxStatus::Pending), None, 10).await);
    assert_eq!(
        pending.len(),
        pending_before + 1,
        "the notice, with the change"
    );
    assert!(
        !ok(db
            .remove_mfa(
                alice.id,
                now(),
                &event("user.mfa_reset"),
                Some((&notice, &queued))
            )
            .await),
        "nothing left to remove: nothing written"
    );
    let pending = ok(db.list_outbox(Some(OutboxStatus::Pending), None, 10).await);
    assert_eq!(pending.len(), pending_before + 1, "and no second notice");
}

async fn a_profile_edit_rewrites_only_what_the_account_page_edits(postgres: bool) {
    let db = fresh(postgres).await;
    let mut alice = user(&db, "alice").await;
    alice.roles.insert("admin".into());
    alice.claims.picture = Some("https://example.com/alice.png".into());
    ok(db.update_user(&alice, &event("user.updated")).await);
    // The profile was read before an administrator took the role away.
    let mut edited = alice.claims.clone();
    let mut demoted = alice.clone();
    demoted.roles.clear();
    ok(db.update_user(&demoted, &event("user.updated")).await);
    edited.name = Some("Alice Liddell".into());
    edited.picture = None;
    ok(db
        .update_profile(alice.id, &edited, now(), &event("user.profile_updated"))
        .await);
    let stored = ok(db.find_user_by_id(alice.id).await).unwrap_or_else(|| panic!("user"));
    assert_eq!(stored.claims.name.as_deref(), Some("Alice Liddell"));
    assert!(stored.roles.is_empty(), "the administrator's change stands");
    assert_eq!(
        stored.claims.picture.as_deref(),
        Some("https://example.com/alice.png"),
        "a claim the page does not edit is left alone"
    );
}

async fn a_hash_upgrade_loses_to_a_password_change(postgres: bool) {
    let db = fresh(postgres).await;
    let mut alice = user(&db, "alice").await;
    let old = ok(PasswordHash::create(&Password::new("first password")));
    alice.id = uuid::Uuid::now_v7();
    alice.username = ok(valet_core::user::Username::parse("alice2"));
    alice.password_hash = Some(old.clone());
    ok(db.insert_user(&alice, &event("user.created")).await);
    let stale = ok(PasswordHash::create(&Password::new("another password")));
    assert!(
        !ok(db.upgrade_password_hash(alice.id, &stale, &old).await),
        "not the stored hash"
    );
    let upgraded = ok(PasswordHash::create(&Password::new("first password")));
    assert!(ok(db
        .upgrade_password_hash(alice.id, &old, &upgraded)
        .await));
    let stored = ok(db.find_user_by_id(alice.id).await).and_then(|u| u.password_hash);
    assert_eq!(stored, Some(upgraded));
}

/// Activation sets the first password of a disabled sign-up whose address is still the one the link
/// went to, and spends the link; an account that already has a password, is enabled, or is at
/// another address is left alone, and its link stays unspent.
async fn activation_sets_a_sign_ups_first_password_only(postgres: bool) {
    let db = fresh(postgres).await;
    let t = now();
    let chosen = ok(PasswordHash::create(&Password::new("the chosen password")));
    let earlier = ok(PasswordHash::create(&Password::new(
        "a password set before",
    )));
    // An account with an address and an activation link to it.
    let account = |name: &'static str, password: Option<PasswordHash>, disabled: bool| {
        let db = &db;
        async move {
            let address = format!("{name}@example.com");
            let account = User {
                id: Uuid::now_v7(),
                username: ok(Username::parse(name)),
                password_hash: password,
                disabled,
                claims: StandardClaims {
                    email: Some(address.clone()),
                    ..Default::default()
                },
                roles: Default::default(),
                created_at: t,
                updated_at: t,
                second_factor: false,
            };
            ok(db.insert_user(&account, &event("user.registered")).await);
            let (token, link) = AccountToken::issue(
                account.id,
                LinkPurpose::Activate,
                Some(address.clone()),
                t,
                &OsRandom,
            );
            let mail = QueuedMail {
                id: Uuid::now_v7(),
                to: address,
                sealed: "v1.x".into(),
                queued_at: t,
            };
            ok(db
                .issue_link(&token, &link.hash(), &mail, &event("user.activation_sent"))
                .await);
            (account, token.id, link)
        }
    };
    let activate = |account: &User, link: Uuid, address: String| {
        let (db, chosen, id) = (&db, &chosen, account.id);
        async move {
            ok(db
                .activate_user(link, id, &address, chosen, t, &event("user.activated"))
                .await)
        }
    };
    let stored = |account: &User| {
        let (db, id) = (&db, account.id);
        async move { ok(db.find_user_by_id(id).await).unwrap_or_else(|| panic!("stored")) }
    };
    let unspent = |link: AccountLink| {
        let db = &db;
        async move {
            ok(db.find_link(&link.hash(), LinkPurpose::Activate).await)
                .is_some_and(|found| found.used_at.is_none())
        }
    };

    let (fresh_sign_up, id, link) = account("fresh", None, true).await;
    assert!(activate(&fresh_sign_up, id, "fresh@example.com".into()).await);
    let activated = stored(&fresh_sign_up).await;
    assert_eq!(activated.password_hash.as_ref(), Some(&chosen));
    assert!(!activated.disabled && activated.claims.email_verified);
    assert!(!unspent(link).await);
    assert!(
        !activate(&fresh_sign_up, id, "fresh@example.com".into()).await,
        "a spent link"
    );

    let (with_password, id, link) = account("earlier", Some(earlier.clone()), true).await;
    assert!(!activate(&with_password, id, "earlier@example.com".into()).await);
    assert_eq!(stored(&with_password).await.password_hash, Some(earlier));
    assert!(unspent(link).await, "a refused activation spends nothing");

    let (enabled, id, link) = account("enabled", None, false).await;
    assert!(!activate(&enabled, id, "enabled@example.com".into()).await);
    assert_eq!(stored(&enabled).await.password_hash, None);
    assert!(unspent(link).await);

    let (moved, id, link) = account("moved", None, true).await;
    assert!(!activate(&moved, id, "elsewhere@example.com".into()).await);
    assert!(stored(&moved).await.disabled);
    assert!(unspent(link).await);
}

async fn housekeeping_frees_abandoned_signups_and_expired_links(postgres: bool) {
    let db = fresh(postgres).await;
    let t = now();
    let long_ago = t - chrono::Duration::days(2);
    let mail = |to: &str| QueuedMail {
        id: Uuid::now_v7(),
        to: to.into(),
        sealed: "v1.x".into(),
        queued_at: long_ago,
    };
    let squatter = user(&db, "squatter").await;
    ok(db
        .set_disabled(squatter.id, true, t, &event("user.registered"))
        .await);
    let (activation, link) = AccountToken::issue(
        squatter.id,
        LinkPurpose::Activate,
        Some("v@example.com".into()),
        long_ago,
        &OsRandom,
    );
    ok(db
        .issue_link(
            &activation,
            &link.hash(),
            &mail("v@example.com"),
            &event("user.activation_sent"),
        )
        .await);
    let alice = user(&db, "alice").await;
    let (old, link) = AccountToken::issue(
        alice.id,
        LinkPurpose::VerifyEmail,
        Some("a@example.com".into()),
        long_ago,
        &OsRandom,
    );
    ok(db
        .issue_link(
            &old,
            &link.hash(),
            &mail("a@example.com"),
            &event("user.email_verification_sent"),
        )
        .await);

    let purged = ok(db.purge_expired(t, t).await);
    assert_eq!((purged.abandoned_signups, purged.account_links), (1, 1));
    assert_eq!(
        ok(db.find_user_by_id(squatter.id).await),
        None,
        "the unactivated account is gone"
    );
    assert!(
        ok(db.find_user_by_id(alice.id).await).is_some(),
        "an enabled account stays"
    );
}

on_both!(
    a_profile_edit_rewrites_only_what_the_account_page_edits,
    housekeeping_frees_abandoned_signups_and_expired_links,
    links_are_single_use_purpose_bound_and_queue_their_mail,
    a_verified_address_becomes_the_users_unless_another_account_has_it,
    totp_steps_and_recovery_codes_are_accepted_once,
    a_hash_upgrade_loses_to_a_password_change,
    activation_sets_a_sign_ups_first_password_only
);
