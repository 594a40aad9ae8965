//! `valet client add|list|rotate-secret`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::client::{Client, TokenEndpointAuthMethod};
use valet_core::clock::{Clock, SystemClock};
use valet_core::ports::ClientStore;
use valet_core::provision::{ClientEntry, Credential};
use valet_core::random::OsRandom;
use valet_core::revocation::Cascade;
use valet_core::secret::Secret;

use super::grants::{client_named, describe, run_cascade};
use super::{Failure, Output};
use crate::cli::ClientCommand;
use crate::config::{Config, parse_duration};
use crate::startup;
use valet_store::Database;

#[derive(Serialize)]
struct ClientRow {
    client_id: String,
    name: String,
    auth_method: &'static str,
    grant_types: Vec<&'static str>,
    redirect_uris: Vec<String>,
    disabled: bool,
}

pub async fn run(
    cmd: ClientCommand,
    config: &Config,
    migrate: bool,
    out: Output,
) -> Result<(), Failure> {
    let db = startup::open_database(config, migrate).await?;
    let now = SystemClock.now();
    match cmd {
        ClientCommand::Add {
            client_id,
            name,
            redirect_uris,
            grant_types,
            public,
            first_party,
        } => {
            let secret = (!public).then(|| Secret::generate(&OsRandom));
            let entry = ClientEntry {
                client_id,
                client_name: name,
                client_secret: secret.as_ref().map(|s| s.expose().to_owned()),
                redirect_uris,
                grant_types: (!grant_types.is_empty()).then_some(grant_types),
                token_endpoint_auth_method: public.then(|| "none".to_owned()),
                first_party,
                ..Default::default()
            };
            let spec = entry.validate(0)?;
            if db.find_client(&spec.client_id).await?.is_some() {
                return Err(Failure::new(format!(
                    "a client `{}` already exists",
                    spec.client_id.as_str()
                )));
            }
            let client = Client {
                id: uuid::Uuid::now_v7(),
                client_id: spec.client_id,
                secret_hash: match spec.secret {
                    Some(Credential::Clear(s)) => Some(s.sha256()),
                    Some(Credential::Hashed(h)) => Some(h),
                    None => None,
                },
                previous_secret: None,
                // `client add` registers client_secret_basic or none, never client_secret_jwt.
                sealed_secret: None,
                metadata: spec.metadata,
                created_at: now,
                updated_at: now,
            };
            let event = AuditEvent::new(now, Actor::cli(), "client.created")
                .target("client", client.client_id.as_str());
            db.insert_client(&client, &event).await?;
            let shown = secret.as_ref().map(|s| s.expose().to_owned());
            out.emit(&serde_json::json!({ "client_id": client.client_id.as_str(), "client_secret": shown }), |_| {
                let mut text = format!("Registered client `{}`.", client.client_id.as_str());
                if let Some(s) = &shown {
                    text.push_str(&format!("\n  client_secret: {s}\nThis secret is shown only once."));
                }
                text
            });
        }
        ClientCommand::List => {
            let rows: Vec<ClientRow> = db
                .list_clients()
                .await?
                .into_iter()
                .map(|c| ClientRow {
                    client_id: c.client_id.as_str().to_owned(),
                    name: c.metadata.name,
                    auth_method: c.metadata.token_endpoint_auth_method.as_str(),
                    grant_types: c.metadata.grant_types.iter().map(|g| g.as_str()).collect(),
                    redirect_uris: c
                        .metadata
                        .redirect_uris
                        .iter()
                        .map(|u| u.as_str().to_owned())
                        .collect(),
                    disabled: c.metadata.disabled,
                })
                .collect();
            out.emit(&rows, |rows| {
                let mut text = format!(
                    "{:<24} {:<24} {:<20} {}",
                    "CLIENT_ID", "NAME", "AUTH", "GRANT TYPES"
                );
                for r in rows {
                    text.push_str(&format!(
                        "\n{:<24} {:<24} {:<20} {}",
                        r.client_id,
                        r.name,
                        r.auth_method,
                        r.grant_types.join(",")
                    ));
                }
                text
            });
        }
        ClientCommand::Disable { client_id } => {
            set_disabled(&db, &client_id, true, now, out).await?;
        }
        ClientCommand::Enable { client_id } => {
            set_disabled(&db, &client_id, false, now, out).await?;
        }
        ClientCommand::RotateSecret { client_id, overlap } => {
            let client = client_named(&db, &client_id).await?;
            if client.is_public() {
                return Err(Failure::new(format!(
                    "`{client_id}` is a public client: it has no secret"
                )));
            }
            if client.metadata.token_endpoint_auth_method
                == TokenEndpointAuthMethod::ClientSecretJwt
            {
                return Err(Failure::new(format!(
                    "`{client_id}` uses client_secret_jwt, whose secret is kept sealed to verify HMAC assertions: change its client_secret in the provisioning file instead"
                )));
            }
            let overlap = parse_duration(&overlap).map_err(Failure::new)?;
            let secret = Secret::generate(&OsRandom);
            let previous_until = (overlap > chrono::Duration::zero()).then(|| now + overlap);
            let event = AuditEvent::new(now, Actor::cli(), "client.secret_rotated")
                .target("client", client_id.clone())
                .details(serde_json::json!({ "overlap_secs": overlap.num_seconds() }));
            db.set_client_secret(client.id, &secret.sha256(), previous_until, now, &event)
                .await?;
            out.emit(
                &serde_json::json!({ "client_id": client_id, "client_secret": secret.expose() }),
                |_| {
                    format!(
                        "New secret for `{client_id}`: {}\nThis secret is shown only once.",
                        secret.expose()
                    )
                },
            );
        }
    }
    Ok(())
}

/// Disabling a client also revokes every grant to it (and notifies it); enabling does not revive them.
async fn set_disabled(
    db: &Database,
    client_id: &str,
    disable: bool,
    now: DateTime<Utc>,
    out: Output,
) -> Result<(), Failure> {
    let client = client_named(db, client_id).await?;
    if disable {
        // One transaction: the client is switched off and every grant to it revoked.
        let revoked = run_cascade(db, &Cascade::disable_client(client.id), false).await?;
        out.emit(
            &serde_json::json!({ "client_id": client_id, "disabled": true, "revoked": revoked }),
            |_| format!("Client `{client_id}` is disabled.\n{}", describe(&revoked)),
        );
    } else {
        if client.metadata.disabled {
            let event =
                AuditEvent::new(now, Actor::cli(), "client.enabled").target("client", client_id);
            db.set_client_disabled(client.id, false, now, &event)
                .await?;
        }
        out.emit(
            &serde_json::json!({ "client_id": client_id, "disabled": false }),
            |_| format!("Client `{client_id}` is enabled."),
        );
    }
    Ok(())
}
