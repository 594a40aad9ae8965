//! Each process's count of the password and code guesses under way per client address
//! ([`Pending`]), which bounds a burst from one address at many accounts (see the parent module).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

/// Per address, in this process (an entry lives while an attempt is under way there): the attempts
/// under way, those of them that went ahead and whose outcome is not known yet, and the failures
/// counted so far.
#[derive(Default)]
struct UnderWayAt {
    attempts: u32,
    unsettled: u32,
    failures: u64,
}

static ADDRESSES: LazyLock<Mutex<HashMap<String, UnderWayAt>>> = LazyLock::new(Mutex::default);

fn addresses() -> MutexGuard<'static, HashMap<String, UnderWayAt>> {
    ADDRESSES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One attempt under way at its address, from before its counters are read until it is dropped.
pub(super) struct Pending {
    key: String,
    /// The address's failures counted in this process when the attempt last read its counters.
    failures_before: AtomicU64,
    /// It went ahead and its outcome is not known yet.
    unsettled: AtomicBool,
}

impl Pending {
    pub(super) fn enter(key: &str) -> Self {
        let mut addresses = addresses();
        let at = addresses.entry(key.to_owned()).or_default();
        at.attempts += 1;
        Self {
            key: key.to_owned(),
            failures_before: AtomicU64::new(at.failures),
            unsettled: AtomicBool::new(false),
        }
    }

    /// Before the counters are read again.
    pub(super) fn rebase(&self) {
        if let Some(at) = addresses().get(&self.key) {
            self.failures_before.store(at.failures, Ordering::Relaxed);
        }
    }

    /// The failures this process counted at the address since the last read began (that read
    /// may have missed them), and the other attempts that went ahead there and may still fail.
    pub(super) fn since(&self) -> (u64, u32) {
        let own = u32::from(self.unsettled.load(Ordering::Relaxed));
        addresses().get(&self.key).map_or((0, 0), |at| {
            let before = self.failures_before.load(Ordering::Relaxed);
            (
                at.failures.saturating_sub(before),
                at.unsettled.saturating_sub(own),
            )
        })
    }

    pub(super) fn go_ahead(&self) {
        if let Some(at) = addresses().get_mut(&self.key)
            && !self.unsettled.swap(true, Ordering::Relaxed)
        {
            at.unsettled += 1;
        }
    }

    /// Its outcome is known (a failure once it is counted in the database).
    pub(super) fn settle(&self, failed: bool) {
        let mut addresses = addresses();
        let Some(at) = addresses.get_mut(&self.key) else {
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
        let mut addresses = addresses();
        match addresses.get_mut(&self.key) {
            Some(at) if at.attempts > 1 => at.attempts -= 1,
            _ => {
                addresses.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_under_way_see_the_others_that_went_ahead_and_the_failures_since_they_read() {
        let key = "ip:pending-test";
        let first = Pending::enter(key);
        let second = Pending::enter(key);
        first.go_ahead();
        assert_eq!(second.since(), (0, 1), "the first went ahead and may fail");
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
            !addresses().contains_key(key),
            "the entry goes with the last attempt"
        );
    }
}
