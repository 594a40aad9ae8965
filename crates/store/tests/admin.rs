//! `AdminStore` on SQLite and PostgreSQL: keyset pages that visit every row once in order, searches
//! that ignore case and take LIKE wildcards literally, grant and audit filters, live refresh token
//! counts, whole-object updates and deletions with their events, and the overview's counts.

use std::collections::BTreeSet;

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::client::{Client, RedirectUri};
use valet_core::grant::Grant;
use valet_core::password::{Password, PasswordHash};
use valet_core::ports::{
    AdminStore, AuditFilter, AuditStore, ClientStore, Counts, GrantFilter, GrantStore,
    SessionStore, StoreError, TokenStore, UserStore,
};
use valet_core::random::OsRandom;
use valet_core::refresh::{RefreshToken, RefreshTokenValue};
use valet_core::secret::SecretHash;
use valet_core::session::Session;
use valet_core::user::{Address, StandardClaims, User, Username};
use valet_store::Database;
use valet_store::entities::{audit_events, grants, outbox, refresh_tokens, sessions};

mod common;
use common::{client, events, first_of_chain, fresh, now, session, user, web_entry};

/// A user with these claims, inserted through `UserStore`.
async fn person(db: &Database, username: &str, email: Option<&str>, name: Option<&str>) -> User {
    let t = now();
    let user = User {
        id: Uuid::now_v7(),
        username: Username::parse(username).unwrap_or_else(|e| panic!("{e}")),
        password_hash: None,
        disabled: false,
        claims: StandardClaims {
            email: email.map(str::to_owned),
            name: name.map(str::to_owned),
            ..Default::default()
        },
        roles: BTreeSet::new(),
        created_at: t,
        updated_at: t,
        second_factor: false,
    };
    db.insert_user(&user, &AuditEvent::new(t, Actor::cli(), "user.created"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    user
}

async fn named_client(db: &Database, client_id: &str, name: &str) -> Client {
    let mut entry = web_entry(client_id);
    entry.client_name = name.into();
    client(db, entry).await
}

async fn grant(db: &Database, user: &User, client: &Client) -> Grant {
    let t = now();
    let grant = Grant::new(user.id, client.id, vec!["openid".into()], t);
    db.save_grant(&grant, None, t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    grant
}

async fn revoke(db: &Database, grant: &Grant) {
    let mut row = grants::Entity::find_by_id(grant.id)
        .one(db.connection())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("grant {} exists", grant.id))
        .into_active_model();
    row.revoked_at = sea_orm::ActiveValue::Set(Some(now()));
    row.update(db.connection())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A refresh token of `grant`, changed by `shape` before it is stored.
async fn refresh(db: &Database, grant: &Grant, shape: impl FnOnce(&mut RefreshToken)) {
    let t = now();
    let mut token = first_of_chain(grant, t);
    shape(&mut token);
    db.insert_refresh_token(&token, &RefreshTokenValue::generate(&OsRandom).hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Every user the search finds, walking pages of `limit`.
async fn walk_users(db: &Database, query: Option<&str>, limit: u64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = db
            .page_users(query, after.as_deref(), limit)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            page.len() as u64 <= limit,
            "a page holds `limit` rows at most"
        );
        let Some(last) = page.last() else {
            return seen;
        };
        after = Some(last.username.as_str().to_owned());
        seen.extend(page.iter().map(|u| u.username.as_str().to_owned()));
    }
}

async fn found_users(db: &Database, query: &str) -> Vec<String> {
    walk_users(db, Some(query), 100).await
}

async fn walk_grants(db: &Database, filter: GrantFilter, limit: u64) -> Vec<Uuid> {
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = db
            .page_grants(filter, before, limit, now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            page.len() as u64 <= limit,
            "a page holds `limit` rows at most"
        );
        let Some(last) = page.last() else {
            return seen;
        };
        before = Some(last.grant.id);
        seen.extend(page.iter().map(|g| g.grant.id));
    }
}

async fn walk_audit(db: &Database, filter: &AuditFilter, limit: u64) -> Vec<Uuid> {
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = db
            .page_audit(filter, before, limit)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            page.len() as u64 <= limit,
            "a page holds `limit` rows at most"
        );
        let Some(last) = page.last() else {
            return seen;
        };
        before = Some(last.id);
        seen.extend(page.iter().map(|e| e.id));
    }
}

fn newest_first(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

async fn user_pages_visit_every_user_once_in_username_order(postgres: bool) {
    let db = fresh(postgres).await;
    for name in [
        "mallory",
        "Bob",
        "alice",
        "carol",
        "dave",
        "eve",
        "bob.smith",
    ] {
        person(&db, name, None, None).await;
    }
    let all = [
        "alice",
        "bob",
        "bob.smith",
        "carol",
        "dave",
        "eve",
        "mallory",
    ];
    for limit in [1, 2, 3, 7, 50] {
        assert_eq!(walk_users(&db, None, limit).await, all, "pages of {limit}");
    }
    let after_mixed_case = db
        .page_users(None, Some("BOB"), 2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = after_mixed_case
        .iter()
        .map(|u| u.username.as_str())
        .collect();
    assert_eq!(
        names,
        ["bob.smith", "carol"],
        "`after` is a username, so any case"
    );
}

async fn user_search_matches_username_or_email_prefix_or_part_of_the_name(postgres: bool) {
    let db = fresh(postgres).await;
    person(
        &db,
        "alice",
        Some("Alice.L@Example.COM"),
        Some("Alice Liddell"),
    )
    .await;
    person(&db, "albert", None, Some("Albert Einstein")).await;
    person(
        &db,
        "sal",
        Some("sally@example.org"),
        Some("Sally Albright"),
    )
    .await;
    person(&db, "percent", Some("pct@example.org"), Some("100% Bob_by")).await;
    person(&db, "slash", None, Some(r"Back\Slash")).await;
    person(&db, "abc", None, Some("Plain abc")).await;

    assert_eq!(
        found_users(&db, "AL").await,
        ["albert", "alice", "sal"],
        "username prefix (al…), or name part (Sally ALbright)"
    );
    assert_eq!(found_users(&db, "ali").await, ["alice"], "username prefix");
    assert_eq!(
        found_users(&db, "alice.l@EXAMPLE").await,
        ["alice"],
        "email prefix, case-insensitively"
    );
    assert_eq!(
        found_users(&db, "example.com").await,
        Vec::<String>::new(),
        "email matches by prefix only"
    );
    assert_eq!(
        found_users(&db, "LIDDELL").await,
        ["alice"],
        "part of the name"
    );
    assert_eq!(
        found_users(&db, "0% b").await,
        ["percent"],
        "`%` is literal"
    );
    assert_eq!(
        found_users(&db, "%").await,
        ["percent"],
        "`%` alone is literal"
    );
    assert_eq!(found_users(&db, "b_b").await, ["percent"], "`_` is literal");
    assert_eq!(
        found_users(&db, "a_c").await,
        Vec::<String>::new(),
        "`_` is not a wildcard for abc"
    );
    assert_eq!(found_users(&db, r"k\s").await, ["slash"], r"`\` is literal");
    assert_eq!(
        found_users(&db, "zzz").await,
        Vec::<String>::new(),
        "no match"
    );
    assert_eq!(
        walk_users(&db, Some("al"), 1).await,
        ["albert", "alice", "sal"],
        "a search pages like the listing"
    );
}

async fn client_pages_go_by_client_id_and_search_id_prefix_or_name(postgres: bool) {
    let db = fresh(postgres).await;
    named_client(&db, "web", "Storefront").await;
    named_client(&db, "Admin-Console", "Console").await;
    named_client(&db, "api_1", "Partner API").await;
    named_client(&db, "apix1", "Other").await;

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = db
            .page_clients(None, after.as_deref(), 1)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let Some(last) = page.last() else { break };
        after = Some(last.client_id.as_str().to_owned());
        seen.extend(page.iter().map(|c| c.client_id.as_str().to_owned()));
    }
    assert_eq!(seen, ["Admin-Console", "api_1", "apix1", "web"]);

    let found = |query: &'static str| {
        let db = db.clone();
        async move {
            db.page_clients(Some(query), None, 10)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .into_iter()
                .map(|c| c.client_id.as_str().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("admin").await, ["Admin-Console"], "client_id prefix");
    assert_eq!(found("FRONT").await, ["web"], "part of the name");
    assert_eq!(
        found("api").await,
        ["api_1", "apix1"],
        "prefix, or name part"
    );
    assert_eq!(found("api_").await, ["api_1"], "`_` is literal");
    assert_eq!(found("console").await, ["Admin-Console"], "name part");
    assert_eq!(found("zzz").await, Vec::<String>::new(), "no match");
}

async fn grant_pages_go_newest_first_and_filter_by_user_client_and_liveness(postgres: bool) {
    let db = fresh(postgres).await;
    let (alice, bob) = (user(&db, "alice").await, user(&db, "bob").await);
    let (web, app) = (
        client(&db, web_entry("web")).await,
        client(&db, web_entry("app")).await,
    );
    let mut all = Vec::new();
    for (user, client) in [(&alice, &web), (&bob, &web), (&alice, &app), (&bob, &app)] {
        for _ in 0..2 {
            all.push((grant(&db, user, client).await, user.id, client.id));
        }
    }
    let revoked = [all[0].0.id, all[3].0.id, all[6].0.id];
    for (g, _, _) in &all {
        if revoked.contains(&g.id) {
            revoke(&db, g).await;
        }
    }
    let expect = |keep: &dyn Fn(&(Grant, Uuid, Uuid)) -> bool| {
        newest_first(all.iter().filter(|g| keep(g)).map(|g| g.0.id).collect())
    };

    for limit in [1, 3, 8, 20] {
        assert_eq!(
            walk_grants(&db, GrantFilter::default(), limit).await,
            expect(&|_| true),
            "every grant once, newest first, in pages of {limit}"
        );
    }
    let by_user = GrantFilter {
        user_id: Some(alice.id),
        ..Default::default()
    };
    assert_eq!(
        walk_grants(&db, by_user, 1).await,
        expect(&|g| g.1 == alice.id)
    );
    let by_client = GrantFilter {
        client: Some(app.id),
        ..Default::default()
    };
    assert_eq!(
        walk_grants(&db, by_client, 2).await,
        expect(&|g| g.2 == app.id)
    );
    let live = GrantFilter {
        live_only: true,
        ..Default::default()
    };
    assert_eq!(
        walk_grants(&db, live, 2).await,
        expect(&|g| !revoked.contains(&g.0.id))
    );
    let all_three = GrantFilter {
        user_id: Some(bob.id),
        client: Some(web.id),
        live_only: true,
    };
    assert_eq!(
        walk_grants(&db, all_three, 1).await,
        expect(&|g| g.1 == bob.id && g.2 == web.id && !revoked.contains(&g.0.id))
    );
}

async fn live_refresh_tokens_are_neither_rotated_revoked_nor_expired(postgres: bool) {
    let db = fresh(postgres).await;
    let (alice, web) = (
        user(&db, "alice").await,
        client(&db, web_entry("web")).await,
    );
    let (busy, idle) = (
        grant(&db, &alice, &web).await,
        grant(&db, &alice, &web).await,
    );
    let t = now();
    refresh(&db, &busy, |_| {}).await;
    refresh(&db, &busy, |r| {
        r.idle_expires_at = Some(t + Duration::hours(1))
    })
    .await;
    refresh(&db, &busy, |r| r.rotated_at = Some(t)).await;
    refresh(&db, &busy, |r| r.revoked_at = Some(t)).await;
    refresh(&db, &busy, |r| r.expires_at = t - Duration::seconds(1)).await;
    refresh(&db, &busy, |r| {
        r.idle_expires_at = Some(t - Duration::seconds(1))
    })
    .await;
    refresh(&db, &idle, |r| r.rotated_at = Some(t)).await;

    let page = db
        .page_grants(GrantFilter::default(), None, 10, now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let counts: Vec<(Uuid, u64)> = page
        .iter()
        .map(|g| (g.grant.id, g.live_refresh_tokens))
        .collect();
    assert_eq!(counts, [(idle.id, 0), (busy.id, 2)]);
    assert_eq!(page[1].grant, busy, "the grant itself round-trips");
}

async fn audit_pages_go_newest_first_and_every_filter_narrows(postgres: bool) {
    let db = fresh(postgres).await;
    let t0 = now() - Duration::hours(3);
    let admin = Actor::user(Uuid::now_v7());
    let mut mine = Vec::new();
    for (hour, actor, action, target) in [
        (0, admin.clone(), "user.updated", "u1"),
        (1, Actor::system(), "keys.rotated", "k1"),
        (1, admin.clone(), "user.deleted", "u2"),
        (2, admin.clone(), "user.updated", "u2"),
        (3, Actor::cli(), "user.updated", "u1"),
    ] {
        let event = AuditEvent::new(t0 + Duration::hours(hour), actor, action).target(
            if target.starts_with('u') {
                "user"
            } else {
                "key"
            },
            target,
        );
        db.record_event(&event)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        mine.push(event);
    }
    let ids = |keep: &dyn Fn(&AuditEvent) -> bool| {
        newest_first(mine.iter().filter(|e| keep(e)).map(|e| e.id).collect())
    };

    let everything = walk_audit(&db, &AuditFilter::default(), 2).await;
    let stored: Vec<Uuid> = audit_events::Entity::find()
        .all(db.connection())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(
        everything,
        newest_first(stored),
        "every event once, newest first"
    );

    let by_actor = AuditFilter {
        actor: Some(admin.as_str().to_owned()),
        ..Default::default()
    };
    assert_eq!(
        walk_audit(&db, &by_actor, 1).await,
        ids(&|e| e.actor == admin)
    );
    let by_action = AuditFilter {
        action: Some("user.updated".into()),
        ..Default::default()
    };
    assert_eq!(
        walk_audit(&db, &by_action, 1).await,
        ids(&|e| e.action == "user.updated")
    );
    let by_target = AuditFilter {
        target_type: Some("user".into()),
        target_id: Some("u2".into()),
        ..Default::default()
    };
    assert_eq!(
        walk_audit(&db, &by_target, 1).await,
        ids(&|e| e.target_id.as_deref() == Some("u2"))
    );
    let by_time = AuditFilter {
        from: Some(t0 + Duration::hours(1)),
        to: Some(t0 + Duration::hours(3)),
        ..Default::default()
    };
    assert_eq!(
        walk_audit(&db, &by_time, 1).await,
        ids(&|e| (1..3).contains(&(e.occurred_at - t0).num_hours())),
        "from is inclusive, to exclusive"
    );
    let combined = AuditFilter {
        actor: Some(admin.as_str().to_owned()),
        action: Some("user.updated".into()),
        from: Some(t0 + Duration::minutes(30)),
        ..Default::default()
    };
    assert_eq!(walk_audit(&db, &combined, 5).await, [mine[3].id]);

    let record = db
        .page_audit(&by_target, None, 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .pop()
        .unwrap_or_else(|| panic!("an event"));
    let event = &mine[3];
    assert_eq!(
        (
            record.occurred_at,
            record.actor.as_str(),
            record.action.as_str(),
            record.target_type.as_deref(),
            record.details
        ),
        (
            event.occurred_at,
            event.actor.as_str(),
            event.action,
            event.target_type,
            event.details.clone()
        ),
        "the record is the event as written"
    );
}

async fn user_sessions_come_newest_first_and_active_only_when_asked(postgres: bool) {
    let db = fresh(postgres).await;
    let (alice, bob) = (user(&db, "alice").await, user(&db, "bob").await);
    let t = now();
    let expired = session(&db, &alice, t - Duration::days(2)).await;
    let ended = session(&db, &alice, t - Duration::hours(2)).await;
    db.end_session(ended.id, t - Duration::hours(1), "logout")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let active = session(&db, &alice, t - Duration::hours(1)).await;
    session(&db, &bob, t).await;

    let ids = |sessions: Vec<Session>| sessions.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let all = db
        .user_sessions(alice.id, false, None, 10, t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(all), [active.id, ended.id, expired.id]);
    let live = db
        .user_sessions(alice.id, true, None, 10, t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(live, [active]);
}

async fn update_user_rewrites_claims_and_roles_but_not_disabled_with_its_event(postgres: bool) {
    let db = fresh(postgres).await;
    let mut alice = person(&db, "alice", Some("alice@example.com"), Some("Alice")).await;
    let hash = PasswordHash::create(&Password::new("correct horse battery staple"))
        .unwrap_or_else(|e| panic!("{e}"));
    let t = now();
    valet_core::revocation::cascade(
        &db,
        &valet_core::revocation::Cascade::set_password(alice.id, hash.clone(), None),
        Actor::cli(),
        t,
        false,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    alice.roles = ["admin".into(), "support".into()].into();
    let event =
        AuditEvent::new(t, Actor::cli(), "user.updated").target("user", alice.id.to_string());
    db.update_user(&alice, &event)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let mut changed = alice.clone();
    changed.password_hash = None;
    changed.disabled = true;
    changed.roles = ["support".into(), "auditor".into()].into();
    changed.claims = StandardClaims {
        name: Some("Alice Liddell".into()),
        given_name: Some("Alice".into()),
        family_name: Some("Liddell".into()),
        email: None,
        email_verified: true,
        phone_number: Some("+44 20 7946 0000".into()),
        phone_number_verified: true,
        locale: Some("en-GB".into()),
        address: Some(Address {
            locality: Some("Oxford".into()),
            country: Some("GB".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    changed.updated_at = t + Duration::minutes(5);
    let event = AuditEvent::new(changed.updated_at, Actor::cli(), "user.updated")
        .target("user", alice.id.to_string());
    db.update_user(&changed, &event)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let stored = db
        .find_user_by_id(alice.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("alice is still there"));
    let expected = User {
        password_hash: Some(hash),
        disabled: false,
        ..changed.clone()
    };
    assert_eq!(
        stored, expected,
        "claims, roles and updated_at; not the password, and not disabled: only disabling does that, \
         so an edit racing a disable cannot undo it"
    );
    let updates = db
        .page_audit(
            &AuditFilter {
                action: Some("user.updated".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0].id, event.id, "the change's event, newest first");

    let ghost = User {
        id: Uuid::now_v7(),
        ..changed
    };
    let err = db
        .update_user(&ghost, &AuditEvent::new(t, Actor::cli(), "user.updated"))
        .await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");
    assert_eq!(
        events(&db, "user.updated").await.len(),
        2,
        "a failed update leaves no event"
    );
}

async fn delete_user_takes_sessions_grants_and_tokens_with_it(postgres: bool) {
    let db = fresh(postgres).await;
    let (alice, bob) = (user(&db, "alice").await, user(&db, "bob").await);
    let web = client(&db, web_entry("web")).await;
    let theirs = session(&db, &alice, now()).await;
    let granted = grant(&db, &alice, &web).await;
    refresh(&db, &granted, |r| r.session_id = Some(theirs.id)).await;
    let bobs = grant(&db, &bob, &web).await;

    let event =
        AuditEvent::new(now(), Actor::cli(), "user.deleted").target("user", alice.id.to_string());
    db.delete_user(alice.id, &event)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let conn = db.connection();
    assert_eq!(db.find_user_by_id(alice.id).await.ok().flatten(), None);
    assert_eq!(db.find_session_by_id(theirs.id).await.ok().flatten(), None);
    assert_eq!(db.find_grant(granted.id).await.ok().flatten(), None);
    let tokens = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::UserId.eq(alice.id))
        .all(conn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(tokens.is_empty(), "refresh tokens go with the user");
    assert_eq!(
        db.find_grant(bobs.id).await.ok().flatten(),
        Some(bobs),
        "other users' grants stay"
    );
    assert_eq!(events(&db, "user.deleted").await.len(), 1);

    let again = db
        .delete_user(
            alice.id,
            &AuditEvent::new(now(), Actor::cli(), "user.deleted"),
        )
        .await;
    assert!(matches!(again, Err(StoreError::NotFound(_))), "{again:?}");
    assert_eq!(
        events(&db, "user.deleted").await.len(),
        1,
        "no event for nothing"
    );
    let leftover = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(alice.id))
        .all(conn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(leftover.is_empty());
}

async fn update_client_rewrites_metadata_but_not_secrets_and_delete_client_cascades(
    postgres: bool,
) {
    let db = fresh(postgres).await;
    let web = client(&db, web_entry("web")).await;
    let t = now();
    for (secret, overlap) in [
        (b"first secret", None),
        (b"later secret", Some(t + Duration::days(1))),
    ] {
        db.set_client_secret(
            web.id,
            &SecretHash::of(secret),
            overlap,
            t,
            &AuditEvent::new(t, Actor::cli(), "client.secret_rotated"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let before = db
        .find_client_by_id(web.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("web exists"));
    assert!(before.secret_hash.is_some() && before.previous_secret.is_some());

    let mut changed = before.clone();
    changed.secret_hash = None;
    changed.previous_secret = None;
    changed.metadata.name = "Storefront".into();
    changed.metadata.redirect_uris = vec![
        RedirectUri::parse("https://shop.example/cb", changed.metadata.application_type)
            .unwrap_or_else(|e| panic!("{e}")),
    ];
    changed.metadata.default_max_age = Some(3_600);
    changed.metadata.disabled = true;
    changed.updated_at = t + Duration::minutes(1);
    let event =
        AuditEvent::new(t, Actor::cli(), "client.updated").target("client", web.id.to_string());
    db.update_client(&changed, &event)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let stored = db
        .find_client_by_id(web.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("web exists"));
    let mut expected = Client {
        secret_hash: before.secret_hash.clone(),
        previous_secret: before.previous_secret.clone(),
        ..changed.clone()
    };
    expected.metadata.disabled = false;
    assert_eq!(
        stored, expected,
        "metadata and updated_at; the secrets and the disabled flag stay"
    );
    assert_eq!(events(&db, "client.updated").await.len(), 1);

    let ghost = Client {
        id: Uuid::now_v7(),
        ..changed
    };
    let err = db
        .update_client(&ghost, &AuditEvent::new(t, Actor::cli(), "client.updated"))
        .await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");
    assert_eq!(events(&db, "client.updated").await.len(), 1);

    let alice = user(&db, "alice").await;
    let granted = grant(&db, &alice, &web).await;
    db.delete_client(web.id, &AuditEvent::new(t, Actor::cli(), "client.deleted"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(db.find_client_by_id(web.id).await.ok().flatten(), None);
    assert_eq!(
        db.find_grant(granted.id).await.ok().flatten(),
        None,
        "grants go with it"
    );
    assert_eq!(events(&db, "client.deleted").await.len(), 1);
    let again = db
        .delete_client(web.id, &AuditEvent::new(t, Actor::cli(), "client.deleted"))
        .await;
    assert!(matches!(again, Err(StoreError::NotFound(_))), "{again:?}");
    assert_eq!(events(&db, "client.deleted").await.len(), 1);
}

async fn queue(db: &Database, status: &str) {
    let t = now();
    outbox::Model {
        id: Uuid::now_v7(),
        kind: "backchannel_logout".into(),
        client_id: None,
        target: "https://web.example/backchannel".into(),
        payload: "token".into(),
        status: status.into(),
        attempts: 0,
        next_attempt_at: t,
        last_error: None,
        created_at: t,
        delivered_at: None,
    }
    .into_active_model()
    .insert(db.connection())
    .await
    .unwrap_or_else(|e| panic!("{e}"));
}

async fn counts_are_what_the_overview_shows(postgres: bool) {
    let db = fresh(postgres).await;
    assert_eq!(
        db.counts(now()).await.unwrap_or_else(|e| panic!("{e}")),
        Counts::default()
    );
    let (alice, bob, _carol) = (
        user(&db, "alice").await,
        user(&db, "bob").await,
        user(&db, "carol").await,
    );
    let (web, _app) = (
        client(&db, web_entry("web")).await,
        client(&db, web_entry("app")).await,
    );
    grant(&db, &alice, &web).await;
    grant(&db, &bob, &web).await;
    revoke(&db, &grant(&db, &alice, &web).await).await;
    let t = now();
    session(&db, &alice, t).await;
    session(&db, &bob, t - Duration::days(2)).await;
    let ended = session(&db, &bob, t).await;
    db.end_session(ended.id, t, "logout")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for status in [
        "failed",
        "pending",
        "pending",
        "delivered",
        "failed",
        "failed",
    ] {
        queue(&db, status).await;
    }
    assert_eq!(
        db.counts(t).await.unwrap_or_else(|e| panic!("{e}")),
        Counts {
            users: 3,
            clients: 2,
            live_grants: 2,
            active_sessions: 1,
            failed_notifications: 3,
            pending_notifications: 2,
        }
    );
}

macro_rules! on_both {
    ($($name:ident),+) => {
        mod sqlite { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(false).await })+ }
        mod postgres { $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(true).await })+ }
    };
}

on_both!(
    user_pages_visit_every_user_once_in_username_order,
    user_search_matches_username_or_email_prefix_or_part_of_the_name,
    client_pages_go_by_client_id_and_search_id_prefix_or_name,
    grant_pages_go_newest_first_and_filter_by_user_client_and_liveness,
    live_refresh_tokens_are_neither_rotated_revoked_nor_expired,
    audit_pages_go_newest_first_and_every_filter_narrows,
    user_sessions_come_newest_first_and_active_only_when_asked,
    update_user_rewrites_claims_and_roles_but_not_disabled_with_its_event,
    delete_user_takes_sessions_grants_and_tokens_with_it,
    update_client_rewrites_metadata_but_not_secrets_and_delete_client_cascades,
    counts_are_what_the_overview_shows
);
