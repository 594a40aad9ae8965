//! `valet grant list|revoke` and `valet outbox list`, and the report every revocation cascade prints.

use serde::Serialize;
use valet_core::audit::Actor;
use valet_core::client::{Client, ClientId};
use valet_core::clock::{Clock, SystemClock};
use valet_core::outbox::OutboxStatus;
use valet_core::ports::{ClientStore, GrantStore, OutboxStore, UserStore};
use valet_core::revocation::{self, Cascade, CascadeReport, Grants};
use valet_core::user::{User, Username};
use valet_store::Database;

use super::{Failure, Output};
use crate::cli::{GrantCommand, OutboxCommand};
use crate::config::Config;
use crate::startup;

pub(super) async fn user_named(db: &Database, username: &str) -> Result<User, Failure> {
    let name = Username::parse(username).map_err(|e| Failure::new(e.to_string()))?;
    db.find_user(&name)
        .await?
        .ok_or_else(|| Failure::new(format!("no user named `{}`", name.as_str())))
}

pub(super) async fn client_named(db: &Database, client_id: &str) -> Result<Client, Failure> {
    let id = ClientId::parse(client_id).map_err(|e| Failure::new(e.to_string()))?;
    db.find_client(&id)
        .await?
        .ok_or_else(|| Failure::new(format!("no client `{client_id}`")))
}

/// The row ids of an optional username and an optional client_id.
async fn resolve(
    db: &Database,
    user: Option<String>,
    client: Option<String>,
) -> Result<(Option<uuid::Uuid>, Option<uuid::Uuid>), Failure> {
    let user = match user {
        Some(name) => Some(user_named(db, &name).await?.id),
        None => None,
    };
    let client = match client {
        Some(id) => Some(client_named(db, &id).await?.id),
        None => None,
    };
    Ok((user, client))
}

/// Runs a cascade as the CLI.
pub(super) async fn run_cascade(
    db: &Database,
    cascade: &Cascade,
    dry_run: bool,
) -> Result<CascadeReport, Failure> {
    Ok(revocation::cascade(db, cascade, Actor::cli(), SystemClock.now(), dry_run).await?)
}

/// What a cascade cut, in words.
pub(super) fn describe(r: &CascadeReport) -> String {
    let verb = if r.dry_run { "Would revoke" } else { "Revoked" };
    let mut text = format!(
        "{verb}: {} grants, {} refresh tokens, {} codes, {} sessions; {} back-channel logout tokens.",
        r.grants, r.refresh_tokens, r.codes, r.sessions, r.notification_count
    );
    if !r.dry_run && r.notification_count > 0 {
        text.push_str(
            "\nThe logout tokens are queued: a running `valet serve` delivers them (see `valet outbox list`).",
        );
    }
    text
}

#[derive(Serialize)]
struct GrantRow {
    id: String,
    user_id: String,
    client: String,
    scopes: Vec<String>,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

pub async fn run(
    cmd: GrantCommand,
    config: &Config,
    migrate: bool,
    out: Output,
) -> Result<(), Failure> {
    let db = startup::open_database(config, migrate).await?;
    match cmd {
        GrantCommand::List {
            user,
            client,
            all,
            limit,
        } => {
            let (user, client) = resolve(&db, user, client).await?;
            let rows: Vec<GrantRow> = db
                .list_grants(user, client, !all, limit)
                .await?
                .into_iter()
                .map(|g| GrantRow {
                    id: g.id.to_string(),
                    user_id: g.user_id.to_string(),
                    client: g.client.to_string(),
                    scopes: g.scopes,
                    created_at: g.created_at.to_rfc3339(),
                    last_used_at: g.last_used_at.map(|t| t.to_rfc3339()),
                    revoked_at: g.revoked_at.map(|t| t.to_rfc3339()),
                })
                .collect();
            out.emit(&rows, |rows| {
                let mut text =
                    format!("{:<38} {:<38} {:<26} {}", "ID", "USER", "CREATED", "SCOPES");
                for r in rows {
                    let revoked = if r.revoked_at.is_some() {
                        " (revoked)"
                    } else {
                        ""
                    };
                    text.push_str(&format!(
                        "\n{:<38} {:<38} {:<26} {}{revoked}",
                        r.id,
                        r.user_id,
                        r.created_at,
                        r.scopes.join(" ")
                    ));
                }
                text
            });
        }
        GrantCommand::Revoke {
            grant,
            user,
            client,
            reason,
            dry_run,
        } => {
            let (user, client) = resolve(&db, user, client).await?;
            let grants = match (grant, user, client) {
                (Some(id), _, _) => Grants::One(id),
                (None, Some(user_id), Some(client)) => Grants::OfUserAndClient { user_id, client },
                (None, Some(user_id), None) => Grants::OfUser(user_id),
                (None, None, Some(client)) => Grants::OfClient(client),
                (None, None, None) => {
                    return Err(Failure::new("name a --grant, a --user or a --client"));
                }
            };
            let report =
                run_cascade(&db, &Cascade::revoke_grants(grants, &reason), dry_run).await?;
            out.emit(&report, describe);
        }
    }
    Ok(())
}

pub async fn outbox(
    cmd: OutboxCommand,
    config: &Config,
    migrate: bool,
    out: Output,
) -> Result<(), Failure> {
    let db = startup::open_database(config, migrate).await?;
    let OutboxCommand::List { status, limit } = cmd;
    let status = status
        .map(|s| s.parse::<OutboxStatus>())
        .transpose()
        .map_err(|e| Failure::new(e.to_string()))?;
    let rows = db.list_outbox(status, None, limit).await?;
    out.emit(&rows, |rows| {
        let mut text = format!(
            "{:<38} {:<10} {:>8} {:<26} {}",
            "ID", "STATUS", "ATTEMPTS", "CREATED", "TARGET / LAST ERROR"
        );
        for r in rows {
            text.push_str(&format!(
                "\n{:<38} {:<10} {:>8} {:<26} {}{}",
                r.id,
                r.status.as_str(),
                r.attempts,
                r.created_at.to_rfc3339(),
                r.target,
                r.last_error
                    .as_deref()
                    .map(|e| format!(" / {e}"))
                    .unwrap_or_default()
            ));
        }
        text
    });
    Ok(())
}
