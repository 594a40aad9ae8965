//! `RevocationStore` and `AuditStore`: the revocation cascade as one write transaction over grants,
//! sessions, refresh tokens, codes, session bindings and the outbox.
//!
//! Id lists are processed in chunks so that revoking every grant of a large client stays within
//! SQLite's and PostgreSQL's limits on bound parameters.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, IntoCondition};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde_json::{Value, json};
use uuid::Uuid;
use valet_core::audit::AuditEvent;
use valet_core::ports::{AuditStore, RevocationStore, StoreError};
use valet_core::revocation::{AccountChange, Cascade, CascadeReport, Grants, Sessions};

use crate::account_change::{Applied, change_account};
use crate::database::{Database, backend};
use crate::entities::{
    authorization_codes, clients, grants, refresh_tokens, session_grants, sessions,
};

mod notices;

const CHUNK: usize = 500;

#[async_trait]
impl AuditStore for Database {
    async fn record_event(&self, event: &AuditEvent) -> Result<(), StoreError> {
        crate::audit::insert(&self.conn, event).await
    }
}

#[async_trait]
impl RevocationStore for Database {
    async fn cascade(
        &self,
        cascade: &Cascade,
        at: DateTime<Utc>,
        event: &AuditEvent,
        dry_run: bool,
    ) -> Result<CascadeReport, StoreError> {
        let txn = self.write_transaction().await?;
        // Refused: the transaction ends unapplied.
        let Some((report, event)) = run(&txn, cascade, at, event, dry_run).await? else {
            return Ok(CascadeReport {
                dry_run,
                ..CascadeReport::default()
            });
        };
        if dry_run {
            txn.rollback().await.map_err(backend)?;
        } else {
            crate::audit::insert(&txn, &event).await?;
            txn.commit().await.map_err(backend)?;
        }
        Ok(report)
    }
}

/// Runs `cascade` in `txn`: what it did, and `event` with its counts, to record if it is kept (a
/// dry run's report lists no notifications). `None` when its account change was refused, and
/// nothing may happen.
pub(crate) async fn run(
    txn: &DatabaseTransaction,
    cascade: &Cascade,
    at: DateTime<Utc>,
    event: &AuditEvent,
    dry_run: bool,
) -> Result<Option<(CascadeReport, AuditEvent)>, StoreError> {
    let mut report = CascadeReport {
        dry_run,
        ..CascadeReport::default()
    };
    match change_account(txn, &cascade.account, at).await? {
        Applied::Refused => return Ok(None),
        applied => report.account_changed = applied == Applied::Changed,
    }
    let mut bound: Vec<(Uuid, Uuid, Option<Uuid>)> = Vec::new();
    revoke_grants(txn, cascade, event, at, &mut report, &mut bound).await?;
    end_sessions(txn, cascade, at, &mut report, &mut bound).await?;

    notices::queue_logout_tokens(txn, &bound, at, &mut report).await?;

    let mut details = match &event.details {
        Value::Object(map) => map.clone(),
        _ => Default::default(),
    };
    details.insert("reason".into(), json!(cascade.reason));
    if cascade.account != AccountChange::Nothing {
        details.insert("account_changed".into(), json!(report.account_changed));
    }
    for (key, value) in [
        ("grants", report.grants),
        ("refresh_tokens", report.refresh_tokens),
        ("codes", report.codes),
        ("sessions", report.sessions),
        ("notifications", report.notification_count),
    ] {
        details.insert(key.into(), json!(value));
    }
    let mut event = event.clone().details(Value::Object(details));
    // Every other client event names the client by its client_id; the cascade knows its row id.
    if event.target_type == Some("client")
        && let Some(id) = event
            .target_id
            .as_deref()
            .and_then(|t| Uuid::parse_str(t).ok())
        && let Some(row) = clients::Entity::find_by_id(id)
            .all(txn)
            .await
            .map_err(backend)?
            .into_iter()
            .next()
    {
        event.target_id = Some(row.client_id);
    }
    Ok(Some((report, event)))
}

/// Revokes the selected live grants and everything issued under them; records which (client, user,
/// session) held them for the logout tokens.
async fn revoke_grants(
    txn: &DatabaseTransaction,
    cascade: &Cascade,
    event: &AuditEvent,
    at: DateTime<Utc>,
    report: &mut CascadeReport,
    bound: &mut Vec<(Uuid, Uuid, Option<Uuid>)>,
) -> Result<(), StoreError> {
    let select = grants::Entity::find().filter(grants::Column::RevokedAt.is_null());
    let select = match cascade.grants {
        Grants::None => return Ok(()),
        Grants::One(id) => select.filter(grants::Column::Id.eq(id)),
        Grants::OfUser(user) => select.filter(grants::Column::UserId.eq(user)),
        Grants::OfClient(client) => select.filter(grants::Column::ClientId.eq(client)),
        Grants::OfUserAndClient { user_id, client } => select
            .filter(grants::Column::UserId.eq(user_id))
            .filter(grants::Column::ClientId.eq(client)),
    };
    let live = select.all(txn).await.map_err(backend)?;
    for chunk in live.chunks(CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|g| g.id).collect();
        report.grants += grants::Entity::update_many()
            .col_expr(grants::Column::RevokedAt, Expr::value(at))
            .col_expr(grants::Column::RevokedBy, Expr::value(event.actor.as_str()))
            .col_expr(
                grants::Column::RevokeReason,
                Expr::value(cascade.reason.as_str()),
            )
            .filter(grants::Column::Id.is_in(ids.clone()))
            .filter(grants::Column::RevokedAt.is_null())
            .exec(txn)
            .await
            .map_err(backend)?
            .rows_affected;
        let refresh = refresh_tokens::Column::GrantId.is_in(ids.clone());
        report.refresh_tokens += revoke_refresh_tokens(txn, refresh, at).await?;
        report.codes += authorization_codes::Entity::delete_many()
            .filter(authorization_codes::Column::GrantId.is_in(ids.clone()))
            .filter(authorization_codes::Column::ConsumedAt.is_null())
            .exec(txn)
            .await
            .map_err(backend)?
            .rows_affected;

        let bindings = session_grants::Entity::find()
            .filter(session_grants::Column::GrantId.is_in(ids.clone()))
            .all(txn)
            .await
            .map_err(backend)?;
        let sessions: BTreeSet<Uuid> = bindings.iter().map(|b| b.session_id).collect();
        let active: BTreeSet<Uuid> = active_sessions(txn, sessions, at).await?;
        for grant in chunk {
            let held: Vec<Uuid> = bindings
                .iter()
                .filter(|b| b.grant_id == grant.id)
                .map(|b| b.session_id)
                .collect();
            let live: Vec<Uuid> = held
                .iter()
                .copied()
                .filter(|s| active.contains(s))
                .collect();
            // The RP's sessions for the live Valet sessions; when none is live, those of the ended
            // ones (an expired session was never announced), and `sub` alone when it had none.
            let sessions = if live.is_empty() { held } else { live };
            if sessions.is_empty() {
                bound.push((grant.client_id, grant.user_id, None));
            }
            for session in sessions {
                bound.push((grant.client_id, grant.user_id, Some(session)));
            }
        }
        session_grants::Entity::delete_many()
            .filter(session_grants::Column::GrantId.is_in(ids))
            .exec(txn)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// Ends the selected active sessions and the refresh tokens bound to them; records every client
/// that holds a grant within them.
async fn end_sessions(
    txn: &DatabaseTransaction,
    cascade: &Cascade,
    at: DateTime<Utc>,
    report: &mut CascadeReport,
    bound: &mut Vec<(Uuid, Uuid, Option<Uuid>)>,
) -> Result<(), StoreError> {
    let select = sessions::Entity::find()
        .filter(sessions::Column::EndedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(at));
    let select = match cascade.sessions {
        Sessions::None => return Ok(()),
        Sessions::One(id) => select.filter(sessions::Column::Id.eq(id)),
        Sessions::OfUser {
            user_id, except, ..
        } => {
            let select = select.filter(sessions::Column::UserId.eq(user_id));
            match except {
                Some(keep) => select.filter(sessions::Column::Id.ne(keep)),
                None => select,
            }
        }
    };
    let ended = select.all(txn).await.map_err(backend)?;
    for chunk in ended.chunks(CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|s| s.id).collect();
        report.sessions += sessions::Entity::update_many()
            .col_expr(sessions::Column::EndedAt, Expr::value(at))
            .col_expr(
                sessions::Column::EndReason,
                Expr::value(cascade.reason.as_str()),
            )
            .filter(sessions::Column::Id.is_in(ids.clone()))
            .filter(sessions::Column::EndedAt.is_null())
            .exec(txn)
            .await
            .map_err(backend)?
            .rows_affected;
        let refresh = refresh_tokens::Column::SessionId.is_in(ids.clone());
        report.refresh_tokens += revoke_refresh_tokens(txn, refresh, at).await?;
        report.codes += authorization_codes::Entity::delete_many()
            .filter(authorization_codes::Column::SessionId.is_in(ids.clone()))
            .filter(authorization_codes::Column::ConsumedAt.is_null())
            .exec(txn)
            .await
            .map_err(backend)?
            .rows_affected;
        let held = session_grants::Entity::find()
            .filter(session_grants::Column::SessionId.is_in(ids))
            .find_also_related(grants::Entity)
            .all(txn)
            .await
            .map_err(backend)?;
        for (binding, grant) in held {
            if let Some(grant) = grant {
                bound.push((grant.client_id, grant.user_id, Some(binding.session_id)));
            }
        }
    }
    if let Sessions::OfUser {
        user_id,
        detached: true,
        ..
    } = cascade.sessions
    {
        revoke_detached(txn, user_id, at, report, bound).await?;
    }
    Ok(())
}

/// Revokes the user's refresh tokens bound to no session (`offline_access`, the password grant);
/// their clients are told without a `sid`.
async fn revoke_detached(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    at: DateTime<Utc>,
    report: &mut CascadeReport,
    bound: &mut Vec<(Uuid, Uuid, Option<Uuid>)>,
) -> Result<(), StoreError> {
    let which = || {
        Condition::all()
            .add(refresh_tokens::Column::UserId.eq(user_id))
            .add(refresh_tokens::Column::SessionId.is_null())
    };
    // Only clients whose tokens could still be used are told (an expired chain holds nothing).
    let holders: BTreeSet<Uuid> = refresh_tokens::Entity::find()
        .filter(which())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .filter(refresh_tokens::Column::ExpiresAt.gt(at))
        .filter(
            Condition::any()
                .add(refresh_tokens::Column::IdleExpiresAt.is_null())
                .add(refresh_tokens::Column::IdleExpiresAt.gt(at)),
        )
        .all(txn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(|t| t.client_id)
        .collect();
    bound.extend(holders.into_iter().map(|client| (client, user_id, None)));
    report.refresh_tokens += revoke_refresh_tokens(txn, which(), at).await?;
    Ok(())
}

/// Revokes every unrevoked refresh token matching `which`; counts those that were still usable.
async fn revoke_refresh_tokens(
    txn: &DatabaseTransaction,
    which: impl IntoCondition + Clone,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let usable = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(at))
        .filter(which.clone())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .exec(txn)
        .await
        .map_err(backend)?
        .rows_affected;
    // Rotated ones too: presenting one later is then "revoked", not a false reuse alarm.
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(at))
        .filter(which)
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(txn)
        .await
        .map_err(backend)?;
    Ok(usable)
}

async fn active_sessions(
    conn: &impl ConnectionTrait,
    ids: BTreeSet<Uuid>,
    at: DateTime<Utc>,
) -> Result<BTreeSet<Uuid>, StoreError> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let mut active = BTreeSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows = sessions::Entity::find()
            .filter(sessions::Column::Id.is_in(chunk.to_vec()))
            .filter(sessions::Column::EndedAt.is_null())
            .filter(sessions::Column::ExpiresAt.gt(at))
            .all(conn)
            .await
            .map_err(backend)?;
        active.extend(rows.into_iter().map(|s| s.id));
    }
    Ok(active)
}
