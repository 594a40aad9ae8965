//! In-memory fakes of the storage ports, for core's unit tests.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::client::{Client, ClientId, PreviousSecret};
use crate::keys::{KeyTimes, StoredKey};
use crate::password::PasswordHash;
use crate::ports::{ClientStore, KeyStore, ProvisionStore, StoreError, UserStore};
use crate::provision::ProvisionChanges;
use crate::secret::SecretHash;
use crate::user::{User, Username, email_key};

#[derive(Default)]
struct State {
    keys: Vec<StoredKey>,
    users: Vec<User>,
    clients: Vec<Client>,
    events: Vec<AuditEvent>,
}

#[derive(Default)]
pub struct MemoryStore(Mutex<State>);

impl MemoryStore {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn keys(&self) -> Vec<StoredKey> {
        self.state().keys.clone()
    }

    pub fn users(&self) -> Vec<User> {
        self.state().users.clone()
    }

    pub fn clients(&self) -> Vec<Client> {
        self.state().clients.clone()
    }

    pub fn events(&self) -> Vec<AuditEvent> {
        self.state().events.clone()
    }

    pub fn events_named(&self, action: &str) -> usize {
        self.state()
            .events
            .iter()
            .filter(|e| e.action == action)
            .count()
    }

    pub fn event_count(&self) -> usize {
        self.state().events.len()
    }
}

#[async_trait]
impl KeyStore for MemoryStore {
    async fn list_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        Ok(self.keys())
    }

    async fn save_keys(
        &self,
        new: &[StoredKey],
        updates: &[(String, KeyTimes)],
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        for (kid, times) in updates {
            let key = state
                .keys
                .iter_mut()
                .find(|k| &k.kid == kid)
                .ok_or_else(|| StoreError::NotFound(kid.clone()))?;
            key.times = *times;
        }
        state.keys.extend_from_slice(new);
        state.events.push(event.clone());
        Ok(())
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn find_user(&self, username: &Username) -> Result<Option<User>, StoreError> {
        Ok(self
            .state()
            .users
            .iter()
            .find(|u| &u.username == username)
            .cloned())
    }

    async fn find_user_by_id(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        Ok(self.state().users.iter().find(|u| u.id == id).cloned())
    }

    async fn credentials_hold(
        &self,
        user_id: Uuid,
        hash: Option<&PasswordHash>,
    ) -> Result<bool, StoreError> {
        Ok(self
            .state()
            .users
            .iter()
            .any(|u| u.id == user_id && !u.disabled && u.password_hash.as_ref() == hash))
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let state = self.state();
        let mut matches = state.users.iter().filter(|u| {
            u.claims
                .email
                .as_deref()
                .is_some_and(|e| email_key(e) == email_key(email))
        });
        let first = matches.next().cloned();
        Ok(if matches.next().is_some() {
            None
        } else {
            first
        })
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        Ok(self.users())
    }

    async fn insert_user(&self, user: &User, event: &AuditEvent) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.users.iter().any(|u| u.username == user.username) {
            return Err(StoreError::Conflict(format!(
                "user {}",
                user.username.as_str()
            )));
        }
        state.users.push(user.clone());
        state.events.push(event.clone());
        Ok(())
    }

    async fn set_disabled(
        &self,
        user_id: Uuid,
        disabled: bool,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let user = state
            .users
            .iter_mut()
            .find(|u| u.id == user_id)
            .ok_or_else(|| StoreError::NotFound("user".into()))?;
        user.disabled = disabled;
        user.updated_at = at;
        state.events.push(event.clone());
        Ok(())
    }

    async fn has_user_with_role(&self, role: &str) -> Result<bool, StoreError> {
        Ok(self.state().users.iter().any(|u| u.roles.contains(role)))
    }
}

#[async_trait]
impl ClientStore for MemoryStore {
    async fn find_client(&self, client_id: &ClientId) -> Result<Option<Client>, StoreError> {
        Ok(self
            .state()
            .clients
            .iter()
            .find(|c| &c.client_id == client_id)
            .cloned())
    }

    async fn find_client_by_id(&self, id: Uuid) -> Result<Option<Client>, StoreError> {
        Ok(self.state().clients.iter().find(|c| c.id == id).cloned())
    }

    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        Ok(self.clients())
    }

    async fn insert_client(&self, client: &Client, event: &AuditEvent) -> Result<(), StoreError> {
        let mut state = self.state();
        state.clients.push(client.clone());
        state.events.push(event.clone());
        Ok(())
    }

    async fn set_client_secret(
        &self,
        id: Uuid,
        hash: &SecretHash,
        previous_until: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let client = state
            .clients
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| StoreError::NotFound("client".into()))?;
        client.previous_secret = previous_until.and_then(|expires_at| {
            client
                .secret_hash
                .clone()
                .map(|hash| PreviousSecret { hash, expires_at })
        });
        client.sealed_secret = None;
        client.secret_hash = Some(hash.clone());
        client.updated_at = at;
        state.events.push(event.clone());
        Ok(())
    }

    async fn set_client_disabled(
        &self,
        id: Uuid,
        disabled: bool,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let client = state
            .clients
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| StoreError::NotFound("client".into()))?;
        client.metadata.disabled = disabled;
        client.updated_at = at;
        state.events.push(event.clone());
        Ok(())
    }
}

#[async_trait]
impl ProvisionStore for MemoryStore {
    async fn apply_provision(
        &self,
        changes: &ProvisionChanges,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        state.users.extend(changes.created_users.iter().cloned());
        for user in &changes.updated_users {
            if let Some(slot) = state.users.iter_mut().find(|u| u.id == user.id) {
                *slot = user.clone();
            }
        }
        state
            .clients
            .extend(changes.created_clients.iter().cloned());
        for client in &changes.updated_clients {
            if let Some(slot) = state.clients.iter_mut().find(|c| c.id == client.id) {
                *slot = client.clone();
            }
        }
        state.events.extend_from_slice(events);
        // No sessions or grants here to cut: the cascades are recorded by their events.
        state.events.extend(
            (changes.user_cascades.iter())
                .chain(&changes.client_cascades)
                .map(|(_, event)| event.clone()),
        );
        Ok(())
    }
}

/// A key ring with one active key per algorithm in `algs`, for rules that sign or verify.
pub fn ring(algs: &[crate::keys::SigningAlg], now: DateTime<Utc>) -> crate::keys::KeyRing {
    use crate::keys::{KeyRing, MasterKey, generate};
    use crate::random::OsRandom;
    let master = MasterKey::generate(&OsRandom);
    let keys: Vec<StoredKey> = algs
        .iter()
        .map(|&alg| {
            let key = generate(alg).unwrap_or_else(|e| panic!("{e}"));
            let sealed = master
                .seal(&OsRandom, &key.kid, &key.private_der)
                .unwrap_or_else(|e| panic!("{e}"));
            StoredKey {
                id: Uuid::now_v7(),
                kid: key.kid,
                alg,
                public_jwk: key.public_jwk,
                sealed,
                created_at: now,
                times: KeyTimes {
                    activates_at: now - chrono::Duration::days(1),
                    retires_at: now + chrono::Duration::days(90),
                    expires_at: now + chrono::Duration::days(91),
                },
            }
        })
        .collect();
    KeyRing::load(&keys, &master, now).unwrap_or_else(|e| panic!("{e}"))
}
