//! Delivering the outbox: back-channel logout tokens (OIDC Back-Channel Logout 1.0 §2.5) POSTed to
//! relying parties through the guarded outbound client.
//!
//! A logout delivers its own tokens at once (`deliver_now`), waiting at most the outbound timeout, so
//! the browser is redirected after the relying parties were told; whatever fails or was queued
//! elsewhere (the CLI, another replica that crashed) is picked up by the worker every few seconds on
//! every replica. Claims in the database make sure one replica sends a message at a time.

use std::time::Duration as StdDuration;

use actix_web::web::Data;
use chrono::Duration;
use uuid::Uuid;
use valet_core::outbox::{DeliveryOutcome, OutboxMessage, logout_token};
use valet_core::ports::OutboxStore;
use valet_core::revocation::{BACKCHANNEL_LOGOUT_KIND, LogoutPayload};

use crate::state::AppState;

/// How often the worker looks for due messages.
const POLL: StdDuration = StdDuration::from_secs(2);
/// Messages claimed per round.
const BATCH: u64 = 32;

/// How long a claim keeps other replicas away: the longest a delivery may take, with a margin.
fn lease(state: &AppState) -> Duration {
    Duration::from_std(state.config.outbound.policy.timeout).unwrap_or(Duration::seconds(5))
        + Duration::seconds(30)
}

/// Claims and sends up to one batch of these messages now (the rest, and those another replica
/// holds, are left to the worker); returns once each was delivered or failed, within the outbound
/// timeout.
pub async fn deliver_now(state: &Data<AppState>, ids: &[Uuid]) {
    if ids.is_empty() {
        return;
    }
    let now = state.clock.now();
    let batch = &ids[..ids.len().min(usize::try_from(BATCH).unwrap_or(usize::MAX))];
    match state.db.claim(batch, now, lease(state)).await {
        Ok(messages) => deliver_all(state, messages).await,
        Err(e) => {
            tracing::warn!(error = %e, "cannot claim logout deliveries; the worker will retry")
        }
    }
}

async fn deliver_all(state: &Data<AppState>, messages: Vec<OutboxMessage>) {
    let mut running = tokio::task::JoinSet::new();
    for message in messages {
        let state = state.clone();
        running.spawn(async move { deliver(&state, message).await });
    }
    while running.join_next().await.is_some() {}
}

/// One attempt: sign, POST, record the outcome.
async fn deliver(state: &AppState, message: OutboxMessage) {
    let result = attempt(state, &message).await;
    let now = state.clock.now();
    let outcome = match result {
        Ok(()) => DeliveryOutcome::Delivered { at: now },
        Err(error) => state
            .config
            .outbound
            .retry
            .after_failure(message.attempts, error, now),
    };
    match &outcome {
        DeliveryOutcome::Delivered { .. } => {
            tracing::info!(outbox_id = %message.id, attempts = message.attempts, "back-channel logout delivered")
        }
        DeliveryOutcome::Retry {
            error,
            next_attempt_at,
        } => {
            tracing::warn!(outbox_id = %message.id, attempts = message.attempts, %error, %next_attempt_at, "back-channel logout failed; will retry")
        }
        DeliveryOutcome::Failed { error } => {
            tracing::error!(outbox_id = %message.id, attempts = message.attempts, %error, "back-channel logout failed for good")
        }
    }
    if let Err(e) = state
        .db
        .record_delivery(message.id, message.attempts, &outcome)
        .await
    {
        tracing::error!(outbox_id = %message.id, error = %e, "cannot record a delivery outcome; it will be sent again");
    }
}

async fn attempt(state: &AppState, message: &OutboxMessage) -> Result<(), String> {
    if message.kind != BACKCHANNEL_LOGOUT_KIND {
        return Err(format!("unknown delivery kind `{}`", message.kind));
    }
    let payload: LogoutPayload =
        serde_json::from_str(&message.payload).map_err(|e| format!("unreadable payload: {e}"))?;
    let published = state.published();
    let token = logout_token(
        &payload,
        message.id,
        &state.config.issuer,
        &published.ring,
        state.clock.now(),
    )
    .map_err(|e| format!("cannot sign the logout token: {e}"))?;
    let response = state
        .outbound
        .post_form(&message.target, &[("logout_token", &token)])
        .await
        .map_err(|e| e.to_string())?;
    // §2.8: 200 OK on success; 204 is accepted as well, as every 2xx would be.
    if (200..300).contains(&response.status) {
        Ok(())
    } else {
        Err(format!(
            "the relying party answered HTTP {}",
            response.status
        ))
    }
}

/// Every replica polls the outbox: retries, and messages queued while no server ran (the CLI).
pub fn spawn_worker(state: Data<AppState>) {
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(POLL);
        loop {
            ticker.tick().await;
            let now = state.clock.now();
            match state.db.claim_due(now, lease(&state), BATCH).await {
                Ok(messages) if messages.is_empty() => {}
                Ok(messages) => deliver_all(&state, messages).await,
                Err(e) => tracing::warn!(error = %e, "cannot read the outbox; will retry"),
            }
        }
    });
}
