//! What every request handler shares: the database, the key ring with its serialized JWKS, and the
//! provider metadata serialized once at start.

use std::sync::{Arc, RwLock};

use actix_web::web::Bytes;
use tokio::sync::Notify;
use valet_core::clock::Clock;
use valet_core::flow::FlowContext;
use valet_core::keys::{KeyContext, KeyRing, MasterKey, load_ring};
use valet_core::random::OsRandom;
use valet_mail::Transport;
use valet_store::Database;

use crate::config::Config;
use crate::http::throttle::UnderWay;
use crate::outbound::Outbound;

pub struct Published {
    pub ring: KeyRing,
    pub jwks: Bytes,
}

/// What the server sends with: HTTP to relying parties, mail to users.
pub struct Senders {
    pub outbound: Outbound,
    pub mail: Transport,
}

pub struct AppState {
    pub config: Arc<Config>,
    pub db: Database,
    pub clock: Arc<dyn Clock>,
    pub discovery: Bytes,
    /// The guarded HTTP client for server-side requests (back-channel logout).
    pub outbound: Outbound,
    /// Where queued mail goes; only the outbox worker sends (`crate::delivery`).
    pub mail: Transport,
    /// Wakes the outbox worker at once when a request queued something.
    pub outbox_queued: Notify,
    /// The sign-in attempts under way on this instance (`crate::http::throttle`).
    pub under_way: UnderWay,
    master: MasterKey,
    published: RwLock<Arc<Published>>,
}

impl AppState {
    pub fn new(
        config: Arc<Config>,
        db: Database,
        clock: Arc<dyn Clock>,
        master: MasterKey,
        ring: KeyRing,
        discovery: Bytes,
        senders: Senders,
    ) -> Self {
        let published = RwLock::new(Arc::new(Self::publish(ring)));
        Self {
            config,
            db,
            clock,
            discovery,
            outbound: senders.outbound,
            mail: senders.mail,
            outbox_queued: Notify::new(),
            under_way: UnderWay::default(),
            master,
            published,
        }
    }

    fn publish(ring: KeyRing) -> Published {
        let jwks = Bytes::copy_from_slice(ring.jwks_json());
        Published { ring, jwks }
    }

    /// The flow's view of this instance, signing with `ring`, at the clock's current instant.
    pub fn flow<'a>(&'a self, ring: &'a KeyRing) -> FlowContext<'a> {
        FlowContext {
            issuer: &self.config.issuer,
            ring,
            master: &self.master,
            store: &self.db,
            policy: &self.config.tokens.policy,
            random: &OsRandom,
            session_ttl: self.config.tokens.session_ttl,
            now: self.clock.now(),
        }
    }

    /// The master key: it seals signing keys and opens client_secret_jwt clients' secrets.
    pub fn master_key(&self) -> &MasterKey {
        &self.master
    }

    pub fn published(&self) -> Arc<Published> {
        Arc::clone(&self.published.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Reloads keys from the database and applies the rotation schedule; other replicas' rotations
    /// become visible here within one check interval.
    pub async fn refresh_keys(&self) -> Result<(), valet_core::keys::KeyError> {
        let keys = &self.config.keys;
        let ctx = KeyContext {
            master: &self.master,
            random: &OsRandom,
            policy: &keys.policy,
            algs: &keys.algorithms,
        };
        let ring = load_ring(&self.db, &ctx, self.clock.now()).await?;
        *self.published.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Self::publish(ring));
        Ok(())
    }
}
