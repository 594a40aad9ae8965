//! Brute-force throttling at every place a secret is guessed (`valet_core::throttle`): the login
//! form, second-factor codes, requests that send mail and the token endpoint's client
//! authentication. An attempt is refused (429 with `Retry-After`) while its subject or its client
//! address is blocked, before any secret is checked; a failure counts for both; a success clears the
//! subject's counter if it had one when the attempt began (failures counted meanwhile stay). A
//! password is counted on its account however it was named, by username or email ([`account_name`]).
//! Every
//! failure that blocks a key is audited (`<surface>.throttled`). Policies come from `[throttle]`.
//! On the browser forms, a browser where the account's user completed a sign-in before is counted
//! on its own device key instead of the account's ([`device`]), so a guesser cannot keep the owner
//! out.
//!
//! Guesses at one account's password or codes take turns in each server instance ([`Turn`]): the
//! check, the verification and the count of one attempt end before the next attempt's check, so a
//! burst of parallel guesses meets the counter one at a time instead of all passing the check
//! before the first failure is counted. Guesses from one address at many accounts are bounded too
//! ([`Pending`]): each instance counts, per address, the attempts that went ahead and may still
//! fail, and the failures it counted since each attempt read the counters (that read may have
//! missed them). Once the address has failures, an attempt goes ahead at once only while all those
//! failing could not take the address past its free failures; beyond that, attempts take turns at
//! the address and read its counters again, and one that could still be past the limit is refused
//! (429, `Retry-After` at least 1 s). A burst then stops at the address's limit instead of running
//! past it by its whole size, while an address without failures (an office behind one NAT) is never
//! queued. What is under way lives in the instance's [`UnderWay`], never in a process global: two
//! servers in one process (as in the tests) must not see each other's attempts.

mod address;
pub(crate) mod device;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tokio::sync::{OnceCell, OwnedMutexGuard};
use uuid::Uuid;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::ports::{AuditStore, StoreError, ThrottleStore};
use valet_core::throttle::{ThrottlePolicy, ThrottleState, account_key, bounded_key, ip_key};
use valet_core::user::User;

use self::address::{Addresses, Pending};
use super::client_ip::{client_ip, throttled_address};
use crate::state::AppState;

/// What is being guessed, and whose.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Guarded<'a> {
    /// A password, for what was typed as the username or email.
    Login(&'a str),
    /// A TOTP or recovery code of this user.
    SecondFactor(Uuid),
    /// A request that mails what was typed (a reset link, a sign-up's activation): each counts.
    MailRequest(&'a str),
    /// A client's credentials at the token endpoint (and introspection, revocation).
    ClientAuth(&'a str),
}

impl Guarded<'_> {
    /// The subject's key and its kind in audit events. A client is counted per address too: its
    /// `client_id` is public, so a key on it alone would let anyone lock it out.
    fn subject(self, ip: &str) -> (String, &'static str) {
        match self {
            Self::Login(identifier) => (account_key(identifier), "account"),
            Self::SecondFactor(user) => (format!("mfa:{user}"), "user"),
            Self::MailRequest(identifier) => (
                format!("mail:{}", identifier.trim().to_lowercase()),
                "address",
            ),
            Self::ClientAuth(client_id) => (format!("client:{client_id}@{ip}"), "client"),
        }
    }

    /// The address's key: password guessing shares one per address (wherever the password is
    /// typed); every other surface has its own, so requests of one kind never block another.
    fn address_key(self, ip: &str) -> String {
        match self {
            Self::Login(_) => ip_key(ip),
            Self::SecondFactor(_) => format!("mfa-ip:{ip}"),
            Self::MailRequest(_) => format!("mail-ip:{ip}"),
            Self::ClientAuth(_) => format!("client-ip:{ip}"),
        }
    }

    /// Whether attempts at this subject take turns: a password or a code, low-entropy secrets
    /// that a parallel burst would guess faster. Not a client's credentials (a client's parallel
    /// token requests are its normal traffic) nor a mail request (nothing is guessed).
    fn takes_turns(self) -> bool {
        matches!(self, Self::Login(_) | Self::SecondFactor(_))
    }

    fn action(self) -> &'static str {
        match self {
            Self::Login(_) => "login.throttled",
            Self::SecondFactor(_) => "mfa.throttled",
            Self::MailRequest(_) => "mail_request.throttled",
            Self::ClientAuth(_) => "client_auth.throttled",
        }
    }
}

/// What a password attempt is counted on: the account's username when `identifier` (typed as a
/// username or an email address) named one, so its two names share one counter; otherwise what
/// was typed, counted alike, so a block tells nothing about whether the account exists.
pub(crate) fn account_name<'a>(account: Option<&'a User>, identifier: &'a str) -> &'a str {
    account.map_or(identifier, |user| user.username.as_str())
}

/// One attempt's throttle keys.
pub(crate) struct Attempt {
    action: &'static str,
    keys: [(String, ThrottlePolicy, &'static str); 2],
    /// Whether the subject had a counter when `blocked` looked (a success clears only then: most
    /// successes have nothing to clear, and skip the write).
    subject_counted: AtomicBool,
    takes_turns: bool,
    /// This attempt's turn at its subject, taken by `blocked`, held until the attempt is dropped.
    turn: OnceCell<Turn>,
    /// Its turn at its address, when the address is near its limit (see the module's doc).
    address_turn: OnceCell<Turn>,
    /// Its place among the address's attempts under way, where attempts take turns.
    pending: OnceLock<Pending>,
}

/// The attempts under way in one server instance (`AppState::under_way`).
#[derive(Clone, Default)]
pub struct UnderWay {
    /// The keys whose attempts take turns, each with the lock its attempts queue on. An entry
    /// lives while an attempt holds or awaits it.
    turns: Turns,
    addresses: Addresses,
}

#[derive(Clone, Default)]
struct Turns(Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>);

impl Turns {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One attempt's turn at its key (per instance: N replicas let N attempts through at once).
struct Turn {
    turns: Turns,
    key: String,
    _held: OwnedMutexGuard<()>,
}

impl Turn {
    async fn take(turns: &Turns, key: &str) -> Self {
        let queue = Arc::clone(turns.lock().entry(key.to_owned()).or_default());
        Self {
            turns: turns.clone(),
            key: key.to_owned(),
            _held: queue.lock_owned().await,
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut under_way = self.turns.lock();
        // Two references, the map's and this turn's: no attempt awaits the lock, the entry goes.
        if under_way
            .get(&self.key)
            .is_some_and(|lock| Arc::strong_count(lock) <= 2)
        {
            under_way.remove(&self.key);
        }
    }
}

impl Attempt {
    /// The address is the client's (`client_ip`: the TCP peer unless it is a trusted proxy), an
    /// IPv6 address by its /64.
    pub(crate) fn new(state: &AppState, req: &HttpRequest, guarded: Guarded<'_>) -> Self {
        let ip = client_ip(req, &state.config.trusted_proxies)
            .map_or_else(|| "unknown".to_owned(), throttled_address);
        let policies = &state.config.throttle;
        let (subject, kind) = guarded.subject(&ip);
        Self {
            action: guarded.action(),
            keys: [
                (bounded_key(subject), policies.account, kind),
                (guarded.address_key(&ip), policies.ip, "ip"),
            ],
            subject_counted: AtomicBool::new(true),
            takes_turns: guarded.takes_turns(),
            turn: OnceCell::new(),
            address_turn: OnceCell::new(),
            pending: OnceLock::new(),
        }
    }

    /// An attempt from a browser form: like [`Attempt::new`], but a password or a reset request
    /// for an account this browser signed in to (its device cookie, [`device`]) is counted on
    /// the device's key instead of the account's.
    pub(crate) async fn from_browser(
        state: &AppState,
        req: &HttpRequest,
        guarded: Guarded<'_>,
    ) -> Result<Self, StoreError> {
        let mut attempt = Self::new(state, req, guarded);
        let (Guarded::Login(identifier) | Guarded::MailRequest(identifier)) = guarded else {
            return Ok(attempt);
        };
        if let Some(key) = device::trusted_key(state, req, identifier).await? {
            let surface = if matches!(guarded, Guarded::MailRequest(_)) {
                "mail-"
            } else {
                ""
            };
            attempt.on_device(format!("{surface}{key}"));
        }
        Ok(attempt)
    }

    /// A password attempt at a browser form for `account`, what `identifier` named (already looked
    /// up): like [`Attempt::from_browser`] with `Guarded::Login`, counted on the account's name
    /// ([`account_name`]) or this browser's device key for it, without looking the account up again.
    pub(crate) fn for_login(
        state: &AppState,
        req: &HttpRequest,
        account: Option<&User>,
        identifier: &str,
    ) -> Self {
        let mut attempt = Self::new(
            state,
            req,
            Guarded::Login(account_name(account, identifier)),
        );
        if let Some(key) = account.and_then(|user| device::trusted_key_for(state, req, user)) {
            attempt.on_device(key);
        }
        attempt
    }

    fn on_device(&mut self, key: String) {
        self.keys[0].0 = key;
        self.keys[0].2 = "device";
    }

    /// How long the attempt must wait, if any of its keys is blocked. Where attempts take turns,
    /// this first waits for the subject's previous attempt to end, and, when its address is near
    /// its limit, for the address's too (then the counters are read again: those are counted).
    pub(crate) async fn blocked(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, StoreError> {
        if self.takes_turns {
            let turns = &state.under_way.turns;
            self.turn
                .get_or_init(|| Turn::take(turns, &self.keys[0].0))
                .await;
        }
        let (address, policy, _) = &self.keys[1];
        let pending = self.takes_turns.then(|| {
            self.pending
                .get_or_init(|| Pending::enter(&state.under_way.addresses, address))
        });
        let keys = self.keys.each_ref().map(|(key, _, _)| key.as_str());
        let mut states = state.db.throttle_states(&keys).await?;
        if let Some(wait) = longest_wait(&states, now) {
            return Ok(Some(wait));
        }
        let free = u64::from(policy.free_failures);
        let at_risk = |states: &BTreeMap<String, ThrottleState>, pending: &Pending| {
            let stored = states
                .get(address)
                .map_or(0, |s| u64::from(s.failures_at(now, policy)));
            let (since, ahead) = pending.since();
            (stored + since, u64::from(ahead))
        };
        if let Some(pending) = pending
            && self.address_turn.get().is_none()
        {
            let (failures, ahead) = at_risk(&states, pending);
            if failures > 0 && failures + ahead >= free {
                let turns = &state.under_way.turns;
                self.address_turn
                    .get_or_init(|| Turn::take(turns, address))
                    .await;
                pending.rebase();
                states = state.db.throttle_states(&keys).await?;
                let (failures, ahead) = at_risk(&states, pending);
                if failures + ahead > free {
                    // Those under way may block the address before this attempt is counted.
                    let wait = longest_wait(&states, now).unwrap_or_default();
                    return Ok(Some(wait.max(Duration::seconds(1))));
                }
            }
            pending.go_ahead();
        }
        self.subject_counted
            .store(states.contains_key(keys[0]), Ordering::Relaxed);
        Ok(longest_wait(&states, now))
    }

    pub(crate) async fn failed(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (key, policy, kind) in &self.keys {
            let counted = state.db.record_failure(key, now, policy).await?;
            if let Some(until) = counted.blocked_until {
                let (_, value) = key.split_once(':').unwrap_or(("", key));
                let event = AuditEvent::new(now, Actor::system(), self.action)
                    .target(kind, value)
                    .details(json!({
                        "key": key,
                        "failures": counted.failures,
                        "blocked_for_secs": (until - now).num_seconds(),
                    }));
                state.db.record_event(&event).await?;
                tracing::warn!(
                    action = self.action,
                    kind,
                    failures = counted.failures,
                    "attempts throttled"
                );
            }
        }
        // Counted in the database: from now on the others read it there (or count it as missed).
        if let Some(pending) = self.pending.get() {
            pending.settle(true);
        }
        Ok(())
    }

    pub(crate) async fn succeeded(&self, state: &AppState) -> Result<(), StoreError> {
        if let Some(pending) = self.pending.get() {
            pending.settle(false);
        }
        if !self.subject_counted.load(Ordering::Relaxed) {
            return Ok(());
        }
        state.db.clear_throttle(&self.keys[0].0).await
    }
}

/// How long the most blocked of the keys read is still blocked at `now`, if any is.
fn longest_wait(states: &BTreeMap<String, ThrottleState>, now: DateTime<Utc>) -> Option<Duration> {
    states.values().filter_map(|s| s.retry_after(now)).max()
}

/// Turns a page into the throttled answer: 429 with `Retry-After` (RFC 6585 §4), in whole seconds
/// rounded up, so a client that waits that long is let through.
pub(crate) fn too_many(mut response: HttpResponse, wait: Duration) -> HttpResponse {
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let seconds = (wait.num_milliseconds() + 999).div_euclid(1000).max(1);
    if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use std::time::Duration as StdDuration;

    use super::*;

    fn under_way(turns: &Turns, key: &str) -> bool {
        turns.lock().contains_key(key)
    }

    #[tokio::test]
    async fn attempts_at_one_subject_take_turns_and_leave_nothing_behind() {
        let turns = Turns::default();
        let key = "account:alice";
        let first = Turn::take(&turns, key).await;
        let queued = turns.clone();
        let second = tokio::spawn(async move { Turn::take(&queued, key).await });
        tokio::time::sleep(StdDuration::from_millis(50)).await;
        assert!(!second.is_finished(), "the second waits for the first");
        let other = Turn::take(&turns, "account:someone-else").await;
        drop(other);
        assert!(
            !under_way(&turns, "account:someone-else"),
            "another subject did not wait"
        );
        let elsewhere = Turns::default();
        let not_queued =
            tokio::time::timeout(StdDuration::from_secs(5), Turn::take(&elsewhere, key));
        assert!(
            not_queued.await.is_ok(),
            "another instance's turns are its own"
        );
        drop(first);
        let second = tokio::time::timeout(StdDuration::from_secs(5), second)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(under_way(&turns, key), "held by the second");
        drop(second);
        assert!(!under_way(&turns, key), "the entry goes with the last turn");
    }
}
