//! The sign-in throttle at the login form (`valet_core::throttle`): an attempt is refused with 429
//! and `Retry-After` while its account identifier or its client address is blocked, without
//! spending a password verification; a failure is counted for both; a success clears the account.
//! Every failure that blocks a key is audited (`login.throttled`).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::ports::{AuditStore, StoreError, ThrottleStore};
use valet_core::throttle::{ThrottlePolicy, account_key, ip_key};

use crate::state::AppState;

/// One sign-in attempt's throttle keys.
pub(super) struct Attempt {
    keys: [(String, &'static ThrottlePolicy, &'static str); 2],
}

impl Attempt {
    /// The address is the TCP peer's: forwarded headers are the client's to forge.
    pub(super) fn new(req: &HttpRequest, identifier: &str) -> Self {
        let ip = req
            .peer_addr()
            .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
        Self {
            keys: [
                (account_key(identifier), &ThrottlePolicy::ACCOUNT, "account"),
                (ip_key(&ip), &ThrottlePolicy::IP, "ip"),
            ],
        }
    }

    /// How long the attempt must wait, if any of its keys is blocked.
    pub(super) async fn blocked(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError> {
        let mut wait: Option<Duration> = None;
        for (key, _, _) in &self.keys {
            if let Some(left) = state
                .db
                .throttle_state(key)
                .await?
                .and_then(|s| s.retry_after(now))
            {
                wait = Some(wait.map_or(left, |w| w.max(left)));
            }
        }
        Ok(wait)
    }

    pub(super) async fn failed(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (key, policy, kind) in &self.keys {
            let counted = state.db.record_failure(key, now, policy).await?;
            if let Some(until) = counted.blocked_until {
                let (_, value) = key.split_once(':').unwrap_or(("", key));
                let event = AuditEvent::new(now, Actor::system(), "login.throttled")
                    .target(kind, value)
                    .details(json!({
                        "failures": counted.failures,
                        "blocked_for_secs": (until - now).num_seconds(),
                    }));
                state.db.record_event(&event).await?;
                tracing::warn!(
                    kind,
                    failures = counted.failures,
                    "sign-in attempts throttled"
                );
            }
        }
        Ok(())
    }

    pub(super) async fn succeeded(&self, state: &AppState) -> Result<(), StoreError> {
        state.db.clear_throttle(&self.keys[0].0).await
    }
}

/// Turns the login page into the throttled answer: 429 with `Retry-After` (RFC 6585 §4).
pub(super) fn too_many(mut response: HttpResponse, wait: Duration) -> HttpResponse {
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    if let Ok(value) = header::HeaderValue::from_str(&wait.num_seconds().max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
