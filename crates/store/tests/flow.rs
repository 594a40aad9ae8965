//! Sessions, interactions, grants and authorization codes through the ports, on SQLite and PostgreSQL.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use uuid::Uuid;
use valet_core::audit::Actor;
use valet_core::code::{AuthorizationCode, CodeValue, Redemption};
use valet_core::grant::Grant;
use valet_core::interaction::{Interaction, InteractionHandle, Stage};
use valet_core::ports::{
    CodeStore, GrantStore, HousekeepingStore, InteractionStore, Issued, SessionStore, TokenStore,
};
use valet_core::random::OsRandom;
use valet_core::refresh::{RefreshToken, RefreshTokenValue};
use valet_core::revocation::{Cascade, Grants, cascade};
use valet_store::Database;

#[macro_use]
mod common;
use common::{
    code_for, first_of_chain, fresh, insert_code, insert_session, now, start_session,
    user_and_client,
};

async fn sessions_are_found_by_token_and_end_once(postgres: bool) {
    let db = fresh(postgres).await;
    let (user, _) = user_and_client(&db).await;
    let t = now();
    let (session, token) = start_session(&user, t);
    insert_session(&db, &session, &token).await;
    assert_eq!(
        db.find_session(&token.hash()).await.ok().flatten(),
        Some(session.clone())
    );
    db.end_session(session.id, t + Duration::seconds(5), "logout")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    db.end_session(session.id, t + Duration::seconds(9), "again")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ended = db
        .find_session(&token.hash())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("found"));
    assert_eq!(
        ended.ended_at,
        Some(t + Duration::seconds(5)),
        "the first end wins"
    );
    assert!(!ended.is_active(t));
}

/// The interaction stored under `handle`, if any.
async fn stored(db: &Database, handle: &InteractionHandle) -> Option<Interaction> {
    db.find_interaction(&handle.hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|(interaction, _)| interaction)
}

async fn interactions_round_trip_and_advance(postgres: bool) {
    let db = fresh(postgres).await;
    let (user, client) = user_and_client(&db).await;
    let params: BTreeMap<String, String> = [("state".to_owned(), "a b+c~".to_owned())].into();
    let (mut interaction, handle) =
        Interaction::start(client.id, params, Stage::Login, now(), &OsRandom);
    db.insert_interaction(&interaction, &handle.hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored(&db, &handle).await, Some(interaction.clone()));
    interaction.stage = Stage::Consent;
    interaction.user_id = Some(user.id);
    db.update_interaction(&interaction)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored(&db, &handle).await, Some(interaction.clone()));
    // Inserted again (a sealed login page posted again after it moved on): it moves on again.
    interaction.stage = Stage::SecondFactor;
    db.insert_interaction(&interaction, &handle.hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        stored(&db, &handle).await.map(|i| i.stage),
        Some(Stage::SecondFactor)
    );
    db.delete_interaction(interaction.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored(&db, &handle).await, None);
}

async fn grants_accumulate_and_bind_sessions(postgres: bool) {
    let db = fresh(postgres).await;
    let (user, client) = user_and_client(&db).await;
    let t = now();
    let (session, token) = start_session(&user, t);
    insert_session(&db, &session, &token).await;
    assert_eq!(
        db.find_live_grant(user.id, client.id).await.ok().flatten(),
        None
    );
    let grant = Grant::new(user.id, client.id, vec!["openid".into()], t);
    db.save_grant(&grant, Some(session.id), t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let extended = grant.clone().extended(&["email".into()], t);
    db.save_grant(&extended, Some(session.id), t)
        .await
        .unwrap_or_else(|e| panic!("saving twice binds once: {e}"));
    assert_eq!(
        db.find_live_grant(user.id, client.id).await.ok().flatten(),
        Some(extended.clone())
    );
    let revoke = Cascade::revoke_grants(Grants::One(extended.id), "test");
    cascade(&db, &revoke, Actor::cli(), t, false)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A login that read the grant as live just before the revocation saves it again: it stays
    // revoked.
    db.save_grant(
        &extended.extended(&["profile".into()], t),
        Some(session.id),
        t,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        db.find_live_grant(user.id, client.id).await.ok().flatten(),
        None
    );
}

/// A stored code under a new grant of alice's to the web client, and its value.
async fn stored_code(db: &Database) -> (Grant, AuthorizationCode, CodeValue) {
    let (user, client) = user_and_client(db).await;
    let t = now();
    let grant = Grant::new(user.id, client.id, vec!["openid".into()], t);
    db.save_grant(&grant, None, t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let code = code_for(&grant, None, t);
    let value = CodeValue::generate(&OsRandom);
    insert_code(db, &code, &value).await;
    (grant, code, value)
}

async fn a_code_is_redeemed_exactly_once_under_concurrency(postgres: bool) {
    let db = Arc::new(fresh(postgres).await);
    let (grant, code, value) = stored_code(&db).await;
    let t = now();
    // Each attempt brings what it would issue: its access token's jti and a refresh token.
    let issued = |i: usize| {
        let token = first_of_chain(&grant, t);
        (
            format!("jti-{i}"),
            token,
            RefreshTokenValue::generate(&OsRandom),
        )
    };
    let attempts: Vec<_> = (0..50)
        .map(|i| {
            let db = Arc::clone(&db);
            let hash = value.hash();
            let (jti, token, refresh) = issued(i);
            tokio::spawn(async move {
                let issued = Issued {
                    access_token_jti: &jti,
                    refresh: Some((&token, &refresh.hash())),
                };
                let redemption = db.redeem_code(&hash, now(), issued).await;
                (redemption, jti, token.chain_id, refresh)
            })
        })
        .collect();
    let mut winner = None;
    let mut replays = Vec::new();
    let mut losers = Vec::new();
    for attempt in attempts {
        let (redemption, jti, chain, refresh) = attempt.await.unwrap_or_else(|e| panic!("{e}"));
        match redemption.unwrap_or_else(|e| panic!("{e}")) {
            Redemption::Fresh(found) => {
                assert_eq!(found.nonce, code.nonce);
                assert_eq!(found.code_challenge, code.code_challenge);
                assert!(
                    winner.replace((jti, chain, refresh)).is_none(),
                    "two winners"
                );
            }
            Redemption::Replayed(found) => {
                replays.push(found);
                losers.push(refresh);
            }
            Redemption::Unknown => panic!("the code exists"),
        }
    }
    let Some((jti, chain, refresh)) = winner else {
        panic!("no winner")
    };
    assert_eq!(replays.len(), 49);
    // Every loser read what the winner issued, written with its claim: a replay revokes it all.
    for found in &replays {
        assert_eq!(found.issued_access_token_jti.as_deref(), Some(jti.as_str()));
        assert_eq!(found.issued_refresh_chain_id, Some(chain));
    }
    let stored = db.find_refresh_token(&refresh.hash()).await.ok().flatten();
    assert!(stored.is_some_and(|t| t.chain_id == chain));
    for lost in &losers {
        assert_eq!(
            db.find_refresh_token(&lost.hash()).await.ok().flatten(),
            None
        );
    }
    match db.consume_code(&value.hash(), now()).await {
        Ok(Redemption::Replayed(again)) => {
            assert_eq!(again.issued_access_token_jti.as_deref(), Some(jti.as_str()))
        }
        other => panic!("expected a replay, got {other:?}"),
    }
    let unknown = db
        .consume_code(&CodeValue::generate(&OsRandom).hash(), now())
        .await;
    assert!(matches!(unknown, Ok(Redemption::Unknown)));
}

/// A redemption whose refresh token cannot be written leaves the code unspent: nothing is lost, and
/// the client may present it again.
async fn a_failed_redemption_leaves_the_code_unspent(postgres: bool) {
    let db = fresh(postgres).await;
    let (grant, _, value) = stored_code(&db).await;
    let t = now();
    // A refresh token under a grant that does not exist breaks its foreign key.
    let orphan = RefreshToken {
        grant_id: Uuid::now_v7(),
        ..first_of_chain(&grant, t)
    };
    let refresh = RefreshTokenValue::generate(&OsRandom).hash();
    let failed = Issued {
        access_token_jti: "jti-lost",
        refresh: Some((&orphan, &refresh)),
    };
    assert!(db.redeem_code(&value.hash(), now(), failed).await.is_err());
    let unspent = db.find_code(&value.hash()).await.ok().flatten();
    assert!(
        unspent.is_some_and(|c| c.consumed_at.is_none() && c.issued_access_token_jti.is_none())
    );
    let retried = Issued {
        access_token_jti: "jti-2",
        refresh: None,
    };
    assert!(matches!(
        db.redeem_code(&value.hash(), now(), retried).await,
        Ok(Redemption::Fresh(_))
    ));
}

async fn a_refresh_token_rotates_exactly_once_under_concurrency(postgres: bool) {
    let db = Arc::new(fresh(postgres).await);
    let (user, client) = user_and_client(&db).await;
    let t = now();
    let grant = Grant::new(
        user.id,
        client.id,
        vec!["openid".into(), "offline_access".into()],
        t,
    );
    db.save_grant(&grant, None, t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let value = RefreshTokenValue::generate(&OsRandom);
    let token = first_of_chain(&grant, t);
    db.insert_refresh_token(&token, &value.hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        db.find_refresh_token(&value.hash()).await.ok().flatten(),
        Some(token.clone())
    );
    // Each attempt brings its own successor; only the winner's is written.
    let successor = || {
        let value = RefreshTokenValue::generate(&OsRandom);
        let next = RefreshToken {
            id: Uuid::now_v7(),
            parent_id: Some(token.id),
            ..token.clone()
        };
        (next, value)
    };
    let attempts: Vec<_> = (0..50)
        .map(|_| {
            let db = Arc::clone(&db);
            let (next, value) = successor();
            tokio::spawn(async move {
                let won = db
                    .rotate_refresh_token(token.id, now(), &next, &value.hash())
                    .await;
                (won, value)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for attempt in attempts {
        let (won, value) = attempt.await.unwrap_or_else(|e| panic!("{e}"));
        if won.unwrap_or_else(|e| panic!("{e}")) {
            winners.push(value);
        }
    }
    assert_eq!(winners.len(), 1);
    let stored = db
        .find_refresh_token(&winners[0].hash())
        .await
        .ok()
        .flatten();
    assert!(stored.is_some_and(|t| t.parent_id == Some(token.id) && t.rotated_at.is_none()));
    // A loser's reuse detection revokes the chain: the winner's successor is in it already.
    assert_eq!(
        db.revoke_refresh_chain(token.chain_id, now()).await.ok(),
        Some(2),
        "the rotated token and the winner's successor, and no loser's"
    );
    let (next, value) = successor();
    assert!(
        !db.rotate_refresh_token(token.id, now(), &next, &value.hash())
            .await
            .unwrap_or(true),
        "a revoked token never rotates"
    );
    assert!(
        db.find_refresh_token(&value.hash())
            .await
            .ok()
            .flatten()
            .is_none()
    );
}

async fn housekeeping_removes_only_what_has_expired(postgres: bool) {
    let db = fresh(postgres).await;
    let (user, client) = user_and_client(&db).await;
    let t = now();
    let (mut stale, stale_handle) =
        Interaction::start(client.id, BTreeMap::new(), Stage::Login, t, &OsRandom);
    stale.expires_at = t - Duration::seconds(1);
    db.insert_interaction(&stale, &stale_handle.hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (live, live_handle) =
        Interaction::start(client.id, BTreeMap::new(), Stage::Login, t, &OsRandom);
    db.insert_interaction(&live, &live_handle.hash())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let grant = Grant::new(user.id, client.id, vec!["openid".into()], t);
    db.save_grant(&grant, None, t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let old_code = AuthorizationCode {
        expires_at: t - Duration::days(2),
        ..code_for(&grant, None, t)
    };
    let old_value = CodeValue::generate(&OsRandom);
    insert_code(&db, &old_code, &old_value).await;
    let recent_code = AuthorizationCode {
        expires_at: t - Duration::seconds(1),
        ..code_for(&grant, None, t)
    };
    let recent_value = CodeValue::generate(&OsRandom);
    insert_code(&db, &recent_code, &recent_value).await;
    db.revoke_access_token("gone", None, t - Duration::seconds(1), t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    db.revoke_access_token("kept", None, t + Duration::minutes(5), t)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let purged = db
        .purge_expired(t, t - Duration::days(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            purged.interactions,
            purged.codes,
            purged.revoked_access_tokens
        ),
        (1, 1, 1)
    );
    assert!(stored(&db, &stale_handle).await.is_none());
    assert!(stored(&db, &live_handle).await.is_some());
    assert!(
        db.find_code(&old_value.hash())
            .await
            .ok()
            .flatten()
            .is_none()
    );
    assert!(
        db.find_code(&recent_value.hash())
            .await
            .ok()
            .flatten()
            .is_some(),
        "kept for late replay detection"
    );
    assert_eq!(db.is_access_token_revoked("kept").await.ok(), Some(true));
    assert_eq!(db.is_access_token_revoked("gone").await.ok(), Some(false));
}

/// The password grant re-reads the account once its refresh token is stored: when the password it
/// checked is no longer the account's (changed while it was checked), it answers `invalid_grant`
/// and the refresh token it stored is already revoked; when it still is, the tokens stand.
async fn a_password_grant_withdraws_its_tokens_when_the_password_changed(postgres: bool) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use valet_core::issuer::Issuer;
    use valet_core::params::Params;
    use valet_core::password::{Password, PasswordHash};
    use valet_core::token::{Lifetimes, Minter, password_grant};
    use valet_store::entities::refresh_tokens;

    let db = fresh(postgres).await;
    let user = common::user(&db, "alice").await;
    let mut entry = common::web_entry("legacy");
    entry.grant_types = Some(vec!["password".into(), "refresh_token".into()]);
    entry.scope = Some("openid offline_access".into());
    let client = common::client(&db, entry).await;
    let t = now();
    let (ring, issuer) = (
        common::ring(t),
        Issuer::parse("https://op.example").unwrap_or_else(|e| panic!("{e}")),
    );
    let minter = Minter {
        issuer: &issuer,
        ring: &ring,
        random: &OsRandom,
        now: t,
    };
    let grant = |user: valet_core::user::User| {
        let (db, minter, client) = (&db, &minter, &client);
        async move {
            let params = Params::new(vec![("scope".into(), "openid offline_access".into())]);
            let alg = valet_core::keys::SigningAlg::Rs256;
            password_grant(
                minter,
                &Lifetimes::default(),
                alg,
                db,
                client,
                &params,
                &user,
            )
            .await
        }
    };
    let tokens = |revoked: bool| {
        let db = &db;
        async move {
            let column = refresh_tokens::Column::RevokedAt;
            refresh_tokens::Entity::find()
                .filter(if revoked {
                    column.is_not_null()
                } else {
                    column.is_null()
                })
                .all(db.connection())
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .len()
        }
    };

    let mut checked_against_another = user.clone();
    checked_against_another.password_hash = Some(
        PasswordHash::create(&Password::new("the password checked"))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let refused = grant(checked_against_another).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.code == valet_core::oauth_error::OAuthErrorCode::InvalidGrant),
        "{refused:?}"
    );
    assert_eq!((tokens(false).await, tokens(true).await), (0, 1));

    let issued = grant(user).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert!(issued.refresh_token.is_some());
    assert_eq!((tokens(false).await, tokens(true).await), (1, 1));
}

on_both!(
    a_password_grant_withdraws_its_tokens_when_the_password_changed,
    sessions_are_found_by_token_and_end_once,
    interactions_round_trip_and_advance,
    grants_accumulate_and_bind_sessions,
    a_code_is_redeemed_exactly_once_under_concurrency,
    a_failed_redemption_leaves_the_code_unspent,
    a_refresh_token_rotates_exactly_once_under_concurrency,
    housekeeping_removes_only_what_has_expired
);
