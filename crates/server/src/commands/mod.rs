//! The commands of `valet`; each opens the database (migrating unless `--no-migrate`) and prints text or
//! `--json`.

mod clients;
mod grants;
mod keys;
mod serve;
mod users;

use std::io::Read;

use serde::Serialize;
use valet_core::password::Password;

use crate::cli::Command;
use crate::config::Config;
use crate::startup::{self, StartupError};

/// A command's failure, printed as one plain line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failure(String);

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

macro_rules! failure_from {
    ($($t:ty),+) => { $(impl From<$t> for Failure { fn from(e: $t) -> Self { Self(e.to_string()) } })+ };
}
failure_from!(
    StartupError,
    valet_core::ports::StoreError,
    valet_core::keys::KeyError,
    valet_core::provision::ProvisionError,
    std::io::Error
);

/// How a command reports: text for people, JSON for scripts.
#[derive(Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    pub fn emit<T: Serialize>(&self, value: &T, text: impl FnOnce(&T) -> String) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        } else {
            println!("{}", text(value));
        }
    }
}

pub async fn run(
    command: Command,
    config: Config,
    json: bool,
    migrate: bool,
) -> Result<(), Failure> {
    let out = Output { json };
    match command {
        Command::Serve { provision } => {
            serve::serve(config, provision.as_deref(), migrate, out).await
        }
        Command::Migrate => {
            startup::open_database(&config, true).await?;
            out.emit(&serde_json::json!({ "migrated": true }), |_| {
                "Database schema is up to date.".into()
            });
            Ok(())
        }
        Command::Provision { file } => {
            let db = startup::open_database(&config, migrate).await?;
            let clock = valet_core::clock::SystemClock;
            let master = startup::existing_master_key(&config)?;
            let report = crate::apply_provision_file(&file, &db, &clock, master.as_ref()).await?;
            out.emit(&report, |r| {
                format!(
                    "Users: {} created, {} updated, {} unchanged. Clients: {} created, {} updated, {} unchanged.",
                    r.users_created, r.users_updated, r.users_unchanged, r.clients_created, r.clients_updated, r.clients_unchanged
                )
            });
            Ok(())
        }
        Command::Keys(cmd) => keys::run(cmd, &config, migrate, out).await,
        Command::User(cmd) => users::run(cmd, &config, migrate, out).await,
        Command::Client(cmd) => clients::run(cmd, &config, migrate, out).await,
        Command::Grant(cmd) => grants::run(cmd, &config, migrate, out).await,
        Command::Outbox(cmd) => grants::outbox(cmd, &config, migrate, out).await,
    }
}

/// A password from standard input (first line), or a generated one to show once.
fn password_from(stdin: bool) -> Result<(Password, bool), Failure> {
    if !stdin {
        return Ok((
            startup::generate_password(&valet_core::random::OsRandom),
            true,
        ));
    }
    let mut text = String::new();
    std::io::stdin().take(4096).read_to_string(&mut text)?;
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() < 8 {
        return Err(Failure::new("the password must be at least 8 characters"));
    }
    Ok((Password::new(line), false))
}
