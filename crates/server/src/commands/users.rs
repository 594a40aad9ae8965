//! `valet user add|set-password|disable|reset-mfa|list`.

use serde::Serialize;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::clock::{Clock, SystemClock};
use valet_core::ports::UserStore;
use valet_core::provision::UserEntry;
use valet_core::revocation::Cascade;
use valet_core::user::{StandardClaims, User};

use super::grants::{describe, run_cascade, user_named};
use super::{Failure, Output, password_from};
use crate::account::mfa::{self, ResetError};
use crate::cli::UserCommand;
use crate::config::Config;
use crate::startup::{self, hash_password};

#[derive(Serialize)]
struct UserRow {
    id: String,
    username: String,
    email: Option<String>,
    roles: Vec<String>,
    disabled: bool,
}

pub async fn run(
    cmd: UserCommand,
    config: &Config,
    migrate: bool,
    out: Output,
) -> Result<(), Failure> {
    let db = startup::open_database(config, migrate).await?;
    let now = SystemClock.now();
    match cmd {
        UserCommand::Add {
            username,
            email,
            name,
            roles,
            password_stdin,
        } => {
            let entry = UserEntry {
                username,
                roles,
                claims: StandardClaims {
                    email,
                    name,
                    ..Default::default()
                },
                ..Default::default()
            };
            let spec = entry.validate(0)?;
            if db.find_user(&spec.username).await?.is_some() {
                return Err(Failure::new(format!(
                    "a user named `{}` already exists",
                    spec.username.as_str()
                )));
            }
            let (password, generated) = password_from(password_stdin)?;
            let user = User {
                id: uuid::Uuid::now_v7(),
                username: spec.username,
                password_hash: Some(hash_password(password.clone()).await?),
                disabled: false,
                claims: spec.claims,
                roles: spec.roles,
                created_at: now,
                updated_at: now,
                second_factor: false,
            };
            let event = AuditEvent::new(now, Actor::cli(), "user.created")
                .target("user", user.id.to_string());
            db.insert_user(&user, &event).await?;
            let shown = generated.then(|| password.expose().to_owned());
            out.emit(&serde_json::json!({ "id": user.id, "username": user.username.as_str(), "password": shown }), |_| {
                let mut text = format!("Created user `{}`.", user.username.as_str());
                if let Some(pw) = &shown {
                    text.push_str(&format!("\n  password: {pw}\nThis password is shown only once."));
                }
                text
            });
        }
        UserCommand::SetPassword {
            username,
            password_stdin,
        } => {
            let user = user_named(&db, &username).await?;
            let (password, generated) = password_from(password_stdin)?;
            let hash = hash_password(password.clone()).await?;
            // One transaction: the new password, and every session of the user ended with the
            // tokens bound to them (none is "current" here).
            let report =
                run_cascade(&db, &Cascade::set_password(user.id, hash, None), false).await?;
            let shown = generated.then(|| password.expose().to_owned());
            out.emit(
                &serde_json::json!({ "username": user.username.as_str(), "password": shown, "sessions_ended": report.sessions }),
                |_| match &shown {
                    Some(pw) => format!(
                        "New password for `{}`: {pw}\nThis password is shown only once. {} sessions ended.",
                        user.username.as_str(),
                        report.sessions
                    ),
                    None => format!(
                        "Password of `{}` changed; {} sessions ended.",
                        user.username.as_str(),
                        report.sessions
                    ),
                },
            );
        }
        UserCommand::Disable { username } => {
            let user = user_named(&db, &username).await?;
            // One transaction; also when already disabled, whatever is still live is cut off.
            let revoked = run_cascade(&db, &Cascade::disable_user(user.id), false).await?;
            out.emit(&serde_json::json!({ "username": user.username.as_str(), "disabled": true, "changed": !user.disabled, "revoked": revoked }), |_| {
                let state = if user.disabled { "was already disabled" } else { "is disabled" };
                format!("User `{}` {state}.\n{}", user.username.as_str(), describe(&revoked))
            });
        }
        UserCommand::ResetMfa { username } => {
            let user = user_named(&db, &username).await?;
            let master = startup::existing_master_key(config)?;
            let told = mfa::reset_by_admin(
                &db,
                master.as_ref(),
                &config.issuer,
                now,
                &user,
                Actor::cli(),
            )
            .await
            .map_err(|e| match e {
                ResetError::NotOn => Failure::new(format!(
                    "two-step verification is not on for `{}`",
                    user.username.as_str()
                )),
                other => Failure::new(other.to_string()),
            })?;
            out.emit(
                &serde_json::json!({
                    "username": user.username.as_str(),
                    "mfa": false,
                    "notice_to": told,
                }),
                |_| {
                    let notice = match &told {
                        Some(to) => format!(
                            "\nA notice to {to} is queued; a running `valet serve` sends it."
                        ),
                        None => String::new(),
                    };
                    format!(
                        "Two-step verification of `{}` is off.{notice}",
                        user.username.as_str()
                    )
                },
            );
        }
        UserCommand::List => {
            let rows: Vec<UserRow> = db
                .list_users()
                .await?
                .into_iter()
                .map(|u| UserRow {
                    id: u.id.to_string(),
                    username: u.username.as_str().to_owned(),
                    email: u.claims.email,
                    roles: u.roles.into_iter().collect(),
                    disabled: u.disabled,
                })
                .collect();
            out.emit(&rows, |rows| {
                let mut text = format!(
                    "{:<24} {:<32} {:<20} {}",
                    "USERNAME", "EMAIL", "ROLES", "STATUS"
                );
                for r in rows {
                    let status = if r.disabled { "disabled" } else { "active" };
                    text.push_str(&format!(
                        "\n{:<24} {:<32} {:<20} {status}",
                        r.username,
                        r.email.as_deref().unwrap_or("-"),
                        r.roles.join(",")
                    ));
                }
                text
            });
        }
    }
    Ok(())
}
