//! Audit events: who did what to which object, written in the same transaction as the change itself.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// Who performed an action: `cli`, `system`, `provision`, `user:<id>`, `client:<client_id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    pub fn cli() -> Self {
        Self("cli".into())
    }

    pub fn system() -> Self {
        Self("system".into())
    }

    pub fn provision() -> Self {
        Self("provision".into())
    }

    pub fn user(id: Uuid) -> Self {
        Self(format!("user:{id}"))
    }

    /// A client acting on its own behalf (client credentials).
    pub fn client(client_id: &str) -> Self {
        Self(format!("client:{client_id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor: Actor,
    /// A dotted verb, e.g. `user.created`, `keys.rotated`.
    pub action: &'static str,
    pub target_type: Option<&'static str>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    /// Counts and non-secret facts; never a secret, token or password.
    pub details: Value,
}

impl AuditEvent {
    pub fn new(at: DateTime<Utc>, actor: Actor, action: &'static str) -> Self {
        Self {
            id: Uuid::now_v7(),
            occurred_at: at,
            actor,
            action,
            target_type: None,
            target_id: None,
            ip: None,
            details: Value::Object(Default::default()),
        }
    }

    pub fn target(mut self, kind: &'static str, id: impl Into<String>) -> Self {
        self.target_type = Some(kind);
        self.target_id = Some(id.into());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}
