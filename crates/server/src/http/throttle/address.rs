//! Each server instance's count of the password and code guesses under way per client address
//! ([`Pending`]), which bounds a burst from one address at many accounts (see the parent module).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Per address (an entry lives while an attempt is under way there): the attempts under way, those
/// of them that went ahead and whose outcome is not known yet, and the failures counted so far.
#[derive(Default)]
struct UnderWayAt {
    attempts: u32,
    unsettled: u32,
    failures: u64,
}

/// The addresses with attempts under way in one server instance.
#[derive(Clone, Default)]
pub(super) struct Addresses(Arc<Mutex<HashMap<String, UnderWayAt>>>);

impl Addresses {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, UnderWayAt>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One attempt under way at its address, from before its counters are read until it is dropped.
pub(super) struct Pending {
    addresses: Addresses,
    key: String,
    /// The address's failures counted in this instance when the attempt last read its counters.
    failures_before: AtomicU64,
    /// It went ahead and its outcome is not known yet.
    unsettled: AtomicBool,
}

impl Pending {
    pub(super) fn enter(addresses: &Addresses, key: &str) -> Self {
        let mut map = addresses.lock();
        let at = map.entry(key.to_owned()).or_default();
        at.attempts += 1;
        Self {
            addresses: addresses.clone(),
            key: key.to_owned(),
            failures_before: AtomicU64::new(at.failures),
            unsettled: AtomicBool::new(false),
        }
    }

    /// Before the counters are read again.
    pub(super) fn rebase(&self) {
        if let Some(at) = self.addresses.lock().get(&self.key) {
            self.failures_before.store(at.failures, Ordering::Relaxed);
        }
    }

    /// The failures this instance counted at the address since the last read began (that read
    /// may have missed them), and the other attempts that went ahead there and may still fail.
    pub(super) fn since(&self) -> (u64, u32) {
        let own = u32::from(self.unsettled.load(Ordering::Relaxed));
        self.addresses.lock().get(&self.key).map_or((0, 0), |at| {
            let before = self.failures_before.load(Ordering::Relaxed);
            (
                at.failures.saturating_sub(before),
                at.unsettled.saturating_sub(own),
            )
        })
    }

    pub(super) fn go_ahead(&self) {
        if let Some(at) = self.addresses.lock().get_mut(&self.key)
            && !self.unsettled.swap(true, Ordering::Relaxed)
        {
            at.unsettled += 1;
        }
    }

    /// Its outcome is known (a failure once it is counted in the database).
    pub(super) fn settle(&self, failed: bool) {
        let mut map = self.addresses.lock();
        let Some(at) = map.get_mut(&self.key) else {
            return;
        };
        if self.unsettled.swap(false, Ordering::Relaxed) {
            at.unsettled = at.unsettled.saturating_sub(1);
        }
        if failed {
            at.failures += 1;
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.settle(false);
        let mut map = self.addresses.lock();
        match map.get_mut(&self.key) {
            Some(at) if at.attempts > 1 => at.attempts -= 1,
            _ => {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_under_way_see_the_others_that_went_ahead_and_the_failures_since_they_read() {
        let addresses = Addresses::default();
        let key = "ip:127.0.0.1";
        let first = Pending::enter(&addresses, key);
        let second = Pending::enter(&addresses, key);
        let elsewhere = Pending::enter(&Addresses::default(), key);
        elsewhere.go_ahead();
        first.go_ahead();
        assert_eq!(
            second.since(),
            (0, 1),
            "the first went ahead and may fail; another instance's attempt is not seen"
        );
        assert_eq!(first.since(), (0, 0), "not itself");
        first.settle(true);
        assert_eq!(second.since(), (1, 0), "it failed since the second read");
        second.rebase();
        assert_eq!(second.since(), (0, 0), "read again: in the database now");
        second.go_ahead();
        second.settle(false);
        assert_eq!(first.since(), (1, 0), "a success counts nothing");
        drop((first, second));
        assert!(
            !addresses.lock().contains_key(key),
            "the entry goes with the last attempt"
        );
    }
}
