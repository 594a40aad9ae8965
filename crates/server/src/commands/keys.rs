//! `valet keys list|rotate`.

use serde::Serialize;
use valet_core::audit::Actor;
use valet_core::clock::{Clock, SystemClock};
use valet_core::keys::{KeyContext, rotate};
use valet_core::ports::KeyStore;
use valet_core::random::OsRandom;

use super::{Failure, Output};
use crate::cli::KeysCommand;
use crate::config::Config;
use crate::startup;

#[derive(Serialize)]
struct KeyRow {
    kid: String,
    alg: &'static str,
    state: &'static str,
    activates_at: String,
    retires_at: String,
    expires_at: String,
}

pub async fn run(
    cmd: KeysCommand,
    config: &Config,
    migrate: bool,
    out: Output,
) -> Result<(), Failure> {
    let db = startup::open_database(config, migrate).await?;
    let now = SystemClock.now();
    match cmd {
        KeysCommand::List => {
            let mut keys = db.list_keys().await?;
            keys.sort_by_key(|k| (k.alg, k.times.activates_at));
            let rows: Vec<KeyRow> = keys
                .iter()
                .map(|k| KeyRow {
                    kid: k.kid.clone(),
                    alg: k.alg.as_str(),
                    state: k.times.state_at(now).as_str(),
                    activates_at: k.times.activates_at.to_rfc3339(),
                    retires_at: k.times.retires_at.to_rfc3339(),
                    expires_at: k.times.expires_at.to_rfc3339(),
                })
                .collect();
            out.emit(&rows, |rows| {
                let mut text = format!(
                    "{:<44} {:<6} {:<9} {:<26} {:<26} {}",
                    "KID", "ALG", "STATE", "SIGNS FROM", "SIGNS UNTIL", "PUBLISHED UNTIL"
                );
                for r in rows {
                    text.push_str(&format!(
                        "\n{:<44} {:<6} {:<9} {:<26} {:<26} {}",
                        r.kid, r.alg, r.state, r.activates_at, r.retires_at, r.expires_at
                    ));
                }
                text
            });
        }
        KeysCommand::Rotate { immediately } => {
            let master = startup::master_key(config, &db).await?;
            let ctx = KeyContext {
                master: &master,
                random: &OsRandom,
                policy: &config.keys.policy,
                algs: &config.keys.algorithms,
            };
            let kids = rotate(&db, &ctx, now, immediately, Actor::cli()).await?;
            let signs_from = if immediately {
                now
            } else {
                now + config.keys.policy.lead
            };
            out.emit(&serde_json::json!({ "new_kids": kids, "signs_from": signs_from.to_rfc3339() }), |_| {
                format!(
                    "Published {} new keys; they sign from {} (running servers pick them up within {} s).",
                    kids.len(),
                    signs_from.to_rfc3339(),
                    config.keys.check_interval.num_seconds()
                )
            });
        }
    }
    Ok(())
}
