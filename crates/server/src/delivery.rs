//! Delivering the outbox: back-channel logout tokens (OIDC Back-Channel Logout 1.0 §2.5) POSTed to
//! relying parties through the guarded outbound client, and queued mail (`crate::mailer`) handed to
//! the mail transport.
//!
//! A logout delivers its own tokens at once (`deliver_now`), waiting at most the outbound timeout, so
//! the browser is redirected after the relying parties were told; whatever fails or was queued
//! elsewhere (the CLI, another replica that crashed) is picked up by the worker every few seconds on
//! every replica. Claims in the database make sure one replica sends a message at a time.

use std::time::Duration as StdDuration;

use actix_web::web::Data;
use chrono::Duration;
use uuid::Uuid;
use valet_core::account::MAIL_KIND;
use valet_core::audit::Actor;
use valet_core::outbox::{DeliveryOutcome, OutboxMessage, logout_token};
use valet_core::ports::OutboxStore;
use valet_core::ports::StoreError;
use valet_core::revocation::{
    BACKCHANNEL_LOGOUT_KIND, Cascade, CascadeReport, LogoutPayload, cascade,
};

use crate::mailer;
use crate::state::AppState;

/// How often the worker looks for due messages.
const POLL: StdDuration = StdDuration::from_secs(2);
/// The longest one mail may take to send, whatever the SMTP server does.
const MAIL_DEADLINE: StdDuration = StdDuration::from_secs(30);
/// Messages claimed per round.
const BATCH: u64 = 32;

/// How long a claim keeps other replicas away: the longest a delivery may take, with a margin.
fn lease(state: &AppState) -> Duration {
    Duration::from_std(state.config.outbound.policy.timeout).unwrap_or(Duration::seconds(5))
        + Duration::seconds(30)
}

/// Runs a revocation cascade as `actor` and, unless a dry run, starts delivering the logout tokens
/// it queued (in the background: the caller answers at once; the worker retries what fails).
pub async fn run_cascade(
    state: &Data<AppState>,
    plan: &Cascade,
    actor: Actor,
    dry_run: bool,
) -> Result<CascadeReport, StoreError> {
    let report = cascade(&state.db, plan, actor, state.clock.now(), dry_run).await?;
    if !report.notifications.is_empty() {
        let state = state.clone();
        let ids = report.notifications.clone();
        actix_web::rt::spawn(async move { deliver_now(&state, &ids).await });
    }
    Ok(report)
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

/// Why an attempt failed, and whether trying again could help.
struct Failure {
    error: String,
    permanent: bool,
}

impl From<String> for Failure {
    fn from(error: String) -> Self {
        Self {
            error,
            permanent: false,
        }
    }
}

/// One attempt: send, record the outcome.
async fn deliver(state: &AppState, message: OutboxMessage) {
    let result = match message.kind.as_str() {
        BACKCHANNEL_LOGOUT_KIND => attempt_logout(state, &message).await.map_err(Failure::from),
        MAIL_KIND => attempt_mail(state, &message).await,
        other => Err(Failure {
            error: format!("unknown delivery kind `{other}`"),
            permanent: true,
        }),
    };
    let now = state.clock.now();
    let outcome = match result {
        Ok(()) => DeliveryOutcome::Delivered { at: now },
        Err(Failure {
            error,
            permanent: true,
        }) => DeliveryOutcome::Failed { error },
        Err(Failure { error, .. }) => {
            state
                .config
                .outbound
                .retry
                .after_failure(message.attempts, error, now)
        }
    };
    let kind = message.kind.as_str();
    match &outcome {
        DeliveryOutcome::Delivered { .. } => {
            tracing::info!(outbox_id = %message.id, kind, attempts = message.attempts, "delivered")
        }
        DeliveryOutcome::Retry {
            error,
            next_attempt_at,
        } => {
            tracing::warn!(outbox_id = %message.id, kind, attempts = message.attempts, %error, %next_attempt_at, "delivery failed; will retry")
        }
        DeliveryOutcome::Failed { error } => {
            tracing::error!(outbox_id = %message.id, kind, attempts = message.attempts, %error, "delivery failed for good")
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

/// Sends one queued mail; a refused address or a 5xx answer will not get better with retries.
async fn attempt_mail(state: &AppState, message: &OutboxMessage) -> Result<(), Failure> {
    let mail = mailer::open(state.master_key(), message.id, &message.payload).map_err(|error| {
        Failure {
            error,
            permanent: true,
        }
    })?;
    match tokio::time::timeout(MAIL_DEADLINE, state.mail.send(&mail)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Failure {
            permanent: e.is_permanent(),
            error: e.to_string(),
        }),
        Err(_) => Err(Failure::from(format!(
            "no answer within {} s",
            MAIL_DEADLINE.as_secs()
        ))),
    }
}

async fn attempt_logout(state: &AppState, message: &OutboxMessage) -> Result<(), String> {
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
            tokio::select! {
                _ = ticker.tick() => {}
                () = state.outbox_queued.notified() => {}
            }
            let now = state.clock.now();
            match state.db.claim_due(now, lease(&state), BATCH).await {
                Ok(messages) if messages.is_empty() => {}
                Ok(messages) => deliver_all(&state, messages).await,
                Err(e) => tracing::warn!(error = %e, "cannot read the outbox; will retry"),
            }
        }
    });
}
