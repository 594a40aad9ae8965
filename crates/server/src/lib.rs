//! Valet's HTTP surface (actix-web) and the `valet` command. Handlers are thin: they extract, call
//! `valet-core`, and map the result; the store is `valet-store`.

pub mod account;
pub mod admin;
pub mod cli;
pub mod commands;
pub mod config;
pub mod console;
pub mod delivery;
pub mod http;
pub mod logging;
pub mod mailer;
pub mod outbound;
pub mod pages;
pub mod password_work;
pub mod routes;
pub mod startup;
pub mod state;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::web::{Bytes, Data};
use actix_web::{App, HttpServer};
use valet_core::audit::Actor;
use valet_core::client::SecretSealer;
use valet_core::clock::{Clock, SystemClock};
use valet_core::discovery::ProviderMetadata;
use valet_core::keys::MasterKey;
use valet_core::ports::{HousekeepingStore, Purged};
use valet_core::provision::{self, ProvisionError};
use valet_core::random::OsRandom;

use crate::config::Config;
use crate::outbound::Outbound;
use crate::startup::{AdminCreated, StartupError};
use crate::state::{AppState, Senders};

/// A server that is bound, migrated and keyed, ready to run.
pub struct Application {
    server: Server,
    addr: SocketAddr,
    /// Set when this start created the first administrator.
    pub admin: Option<AdminCreated>,
}

impl Application {
    pub async fn build(
        config: Config,
        provision_file: Option<&Path>,
        migrate: bool,
    ) -> Result<Self, StartupError> {
        let listener = startup::bind(&config)?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartupError::Io(e.to_string()))?;
        let db = startup::open_database(&config, migrate).await?;
        let master = startup::master_key(&config, &db).await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let ring = startup::key_ring(&config, &db, &master, clock.as_ref()).await?;
        if let Some(path) = provision_file {
            let report = apply_provision_file(path, &db, clock.as_ref(), Some(&master)).await?;
            tracing::info!(?report, file = %path.display(), "provisioning applied");
        }
        let admin = startup::bootstrap_admin(&config, &db, clock.as_ref()).await?;
        startup::bootstrap_own_clients(&config, &db, clock.as_ref()).await?;
        let mut metadata = ProviderMetadata::new(&config.issuer, &config.keys.algorithms);
        if config.tokens.password_grant {
            metadata = metadata.with_password_grant();
        }
        let discovery = Bytes::from(
            serde_json::to_vec(&metadata).map_err(|e| StartupError::Io(e.to_string()))?,
        );
        let outbound = Outbound::new(config.outbound.policy.clone())
            .map_err(|e| StartupError::Io(format!("cannot build the outbound HTTP client: {e}")))?;
        let mail = valet_mail::Transport::from_url(config.mail.url.expose(), &config.mail.from)
            .map_err(|e| StartupError::Io(format!("invalid mail settings: {e}")))?;
        tracing::info!(mail = mail.describe(), "mail transport");
        let config = Arc::new(config);
        let state = Data::new(AppState::new(
            Arc::clone(&config),
            db,
            clock,
            master,
            ring,
            discovery,
            Senders { outbound, mail },
        ));
        spawn_maintenance(state.clone());
        delivery::spawn_worker(state.clone());
        let issuer_path = config.issuer.path().to_owned();
        let https = config.issuer.is_https();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(|cfg| routes::configure(cfg, &issuer_path, https))
        })
        .listen(listener)
        .map_err(|source| StartupError::Listen { addr, source })?
        .shutdown_timeout(10)
        .run();
        Ok(Self {
            server,
            addr,
            admin,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Runs until SIGINT or SIGTERM, then drains in-flight requests (up to 10 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Applies a provisioning file. `master` seals the secrets of client_secret_jwt clients; without it
/// a file that needs one sealed is refused.
pub async fn apply_provision_file(
    path: &Path,
    db: &valet_store::Database,
    clock: &dyn Clock,
    master: Option<&MasterKey>,
) -> Result<provision::ProvisionReport, StartupError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        StartupError::Io(format!(
            "cannot read the provisioning file {}: {e}",
            path.display()
        ))
    })?;
    let sealer = master.map(|master| SecretSealer {
        master,
        random: &OsRandom,
    });
    provision::apply(&text, db, clock.now(), Actor::provision(), sealer.as_ref())
        .await
        .map_err(|e| match e {
            ProvisionError::Store(store) => StartupError::Store(store),
            sealing @ ProvisionError::Sealing { .. } if master.is_none() => StartupError::Io(format!(
                "{}: {sealing} (set VALET_MASTER_KEY, or start `valet serve` once to create the master key file)",
                path.display()
            )),
            other => StartupError::Io(format!("{}: {other}", path.display())),
        })
}

/// Every `keys.check_interval`: reload keys and apply the rotation schedule, then delete what has
/// expired. Codes are kept for `keys.retention` past their expiry, so a late replay still revokes what
/// the code issued. Every replica runs this; the work is idempotent.
fn spawn_maintenance(state: Data<AppState>) {
    let every = state
        .config
        .keys
        .check_interval
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(300));
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(every);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            if let Err(e) = state.refresh_keys().await {
                tracing::error!(error = %e, "key refresh failed; still serving the previous key ring");
            }
            let now = state.clock.now();
            match state
                .db
                .purge_expired(now, now - state.config.keys.policy.retention)
                .await
            {
                Ok(purged) if purged != Purged::default() => {
                    tracing::info!(?purged, "expired rows deleted")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
            }
        }
    });
}
