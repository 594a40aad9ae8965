//! Brute-force protection for sign-in (OWASP Authentication Cheat Sheet, NIST SP 800-63B §5.2.2):
//! failed attempts are counted per account identifier and per client IP, in the database so every
//! replica sees them. Past a few free failures each further one blocks the key for an exponentially
//! growing time, capped, so a guesser is slowed to uselessness and no block outlasts the cap (the
//! server keeps the owner's own browsers out of a guesser's reach: device keys). A success clears
//! the account's counter (never the IP's).
//! Counters are forgotten once no failure happened for `window`.
//!
//! Keys are built from what was typed, lowercased, not from a user id: unknown and existing
//! accounts are throttled alike, so the throttle reveals nothing about which exist.

use crate::secret::SecretHash;
use chrono::{DateTime, Duration, Utc};

/// How one kind of key is throttled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed before the first block.
    pub free_failures: u32,
    /// The first block; each further failure doubles it.
    pub first_block: Duration,
    pub max_block: Duration,
    /// A counter is forgotten after this long without a failure.
    pub window: Duration,
}

impl ThrottlePolicy {
    /// Per account: 5 free failures, then 2 s, 4 s, … at most 15 minutes.
    pub const ACCOUNT: Self = Self {
        free_failures: 5,
        first_block: Duration::seconds(2),
        max_block: Duration::minutes(15),
        window: Duration::hours(1),
    };

    /// Per IP: more lenient (offices share addresses), same shape.
    pub const IP: Self = Self {
        free_failures: 20,
        first_block: Duration::seconds(2),
        max_block: Duration::minutes(15),
        window: Duration::hours(1),
    };

    /// How long failure number `failures` (1-based) blocks the key, if at all.
    pub fn block_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.free_failures)?.checked_sub(1)?;
        let factor = 1i32.checked_shl(over.min(30)).unwrap_or(i32::MAX);
        Some(
            self.first_block
                .checked_mul(factor)
                .map_or(self.max_block, |d| d.min(self.max_block)),
        )
    }
}

/// A key's counter as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: u32,
    pub last_failure_at: DateTime<Utc>,
    pub blocked_until: Option<DateTime<Utc>>,
}

impl ThrottleState {
    /// The counter after one more failure at `at`: a stale counter starts again from one.
    pub fn after_failure(
        previous: Option<Self>,
        at: DateTime<Utc>,
        policy: &ThrottlePolicy,
    ) -> Self {
        let failures = previous
            .map_or(0, |p| p.failures_at(at, policy))
            .saturating_add(1);
        Self {
            failures,
            last_failure_at: at,
            blocked_until: policy.block_after(failures).map(|block| at + block),
        }
    }

    /// The failures still counted at `at`: none once `window` passed since the last one.
    pub fn failures_at(&self, at: DateTime<Utc>, policy: &ThrottlePolicy) -> u32 {
        if at - self.last_failure_at < policy.window {
            self.failures
        } else {
            0
        }
    }

    /// How long the key is still blocked at `now`.
    pub fn retry_after(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.blocked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }
}

/// The key for what was typed as a username or email.
pub fn account_key(identifier: &str) -> String {
    format!("account:{}", identifier.trim().to_lowercase())
}

/// Keys longer than this are stored by their digest: what was typed can be any length, and a key
/// must fit every database's index (PostgreSQL refuses B-tree entries over 2704 bytes).
pub const MAX_KEY_LEN: usize = 256;

/// `key` as stored: itself, or when longer than [`MAX_KEY_LEN`] or holding a NUL character (which
/// PostgreSQL's text cannot hold), its kind (what comes before the first `:`) and the SHA-256 of the
/// whole, so such a guess is counted like any other.
pub fn bounded_key(key: String) -> String {
    if key.len() <= MAX_KEY_LEN && !key.contains('\0') {
        return key;
    }
    let kind = key.split_once(':').map_or("", |(kind, _)| kind);
    let kind = kind.get(..kind.len().min(32)).unwrap_or("");
    format!("{kind}:{}", SecretHash::of(key.as_bytes()).as_str())
}

/// The key for the address the connection came from (never a forwarded header: those are forged).
pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn long_keys_are_stored_by_their_digest() {
        let short = account_key("alice");
        assert_eq!(bounded_key(short.clone()), short);
        let long = account_key(&"a".repeat(3000));
        let (a, b) = (
            bounded_key(long.clone()),
            bounded_key(account_key(&"a".repeat(3001))),
        );
        assert!(
            a.starts_with("account:sha256:") && a.len() <= MAX_KEY_LEN,
            "{a}"
        );
        assert_ne!(a, b, "distinct guesses, distinct keys");
        assert_eq!(a, bounded_key(long), "stable");
        assert!(
            bounded_key("é".repeat(200)).starts_with(":sha256:"),
            "no kind, no panic"
        );
    }

    #[test]
    fn keys_with_a_nul_character_are_stored_by_their_digest() {
        let key = bounded_key(account_key("a\0b"));
        assert!(
            key.starts_with("account:sha256:") && !key.contains('\0'),
            "{key}"
        );
        assert_ne!(key, bounded_key(account_key("a\0c")));
    }

    #[test]
    fn free_failures_then_doubling_blocks_up_to_the_cap() {
        let p = ThrottlePolicy::ACCOUNT;
        let secs = |n| p.block_after(n).map(|d| d.num_seconds());
        assert_eq!((secs(1), secs(5)), (None, None));
        assert_eq!((secs(6), secs(7), secs(8)), (Some(2), Some(4), Some(8)));
        assert_eq!(secs(20), Some(900), "capped at 15 minutes");
        assert_eq!(secs(u32::MAX), Some(900), "no overflow");
    }

    #[test]
    fn a_counter_grows_within_the_window_and_restarts_after_it() {
        let p = ThrottlePolicy::ACCOUNT;
        let mut state = None;
        for i in 0..6 {
            state = Some(ThrottleState::after_failure(
                state,
                t0() + Duration::seconds(i),
                &p,
            ));
        }
        let blocked = state.unwrap_or_else(|| panic!("state"));
        assert_eq!(blocked.failures, 6);
        assert_eq!(
            blocked.retry_after(t0() + Duration::seconds(5)),
            Some(Duration::seconds(2))
        );
        assert_eq!(
            blocked.retry_after(t0() + Duration::seconds(7)),
            None,
            "the block ends"
        );
        assert_eq!(blocked.failures_at(t0() + Duration::minutes(59), &p), 6);
        assert_eq!(
            blocked.failures_at(t0() + Duration::hours(2), &p),
            0,
            "forgotten"
        );
        let later = ThrottleState::after_failure(Some(blocked), t0() + Duration::hours(2), &p);
        assert_eq!((later.failures, later.blocked_until), (1, None));
    }

    #[test]
    fn keys_do_not_depend_on_case_or_whether_the_account_exists() {
        assert_eq!(account_key(" Alice "), account_key("alice"));
        assert_eq!(ip_key("203.0.113.7"), "ip:203.0.113.7");
    }
}
