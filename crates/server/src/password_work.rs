//! Password hashing and verification off the async workers. One argon2id run costs tens of
//! milliseconds of CPU and 19 MiB of memory: run inline, it stalls every other request of its actix
//! worker (and that worker's database round trips); run on an unbounded pool, a burst of logins
//! hashes dozens at once, each evicting the others' memory from the CPU caches, and all finish late
//! together. So the work goes to a few dedicated threads, one per CPU the process may use
//! (`available_parallelism`, which honours CPU affinity and cgroup quotas), started on first use.
//! They take jobs in order from one bounded queue while the workers go on serving, skip the jobs of
//! requests that went away, and each keeps its argon2 memory warm from one run to the next
//! (`valet_core::password`).

use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, LazyLock, Mutex};
use std::thread::{self, available_parallelism};

use tokio::sync::{Semaphore, oneshot};
use valet_core::flow;
use valet_core::password::{Password, PasswordError, PasswordHash};
use valet_core::ports::StoreError;
use valet_core::user::User;

type Job = Box<dyn FnOnce() + Send>;

/// Jobs waiting or running per hashing thread; beyond that, work is refused at once (503) instead
/// of queueing seconds of argon2 behind a burst.
const WAITING_PER_THREAD: usize = 64;

struct Pool {
    queue: Sender<Job>,
    slots: Semaphore,
}

/// The hashing threads and their queue (if none could be started, every job fails; nothing hangs).
static POOL: LazyLock<Pool> = LazyLock::new(|| {
    let (queue, jobs) = channel::<Job>();
    let jobs = Arc::new(Mutex::new(jobs));
    let threads = available_parallelism().map_or(1, NonZeroUsize::get);
    for n in 0..threads {
        let jobs = Arc::clone(&jobs);
        let started = thread::Builder::new()
            .name(format!("valet-argon2-{n}"))
            .spawn(move || {
                loop {
                    // The lock is held only while waiting: one idle thread takes the next job.
                    let next = jobs.lock().map(|jobs| jobs.recv());
                    match next {
                        Ok(Ok(job)) => job(),
                        _ => return,
                    }
                }
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "cannot start a password hashing thread");
        }
    }
    Pool {
        queue,
        slots: Semaphore::new(threads * WAITING_PER_THREAD),
    }
});

/// The work did not run to its end: too much was waiting already, it panicked, or no hashing
/// thread could be started.
#[derive(Debug, thiserror::Error)]
#[error("password work did not finish: {0}")]
pub struct Interrupted(String);

impl From<Interrupted> for StoreError {
    fn from(e: Interrupted) -> Self {
        Self::Backend(e.to_string())
    }
}

async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Interrupted> {
    let _slot = POOL
        .slots
        .try_acquire()
        .map_err(|_| Interrupted("too many passwords are waiting to be checked".to_owned()))?;
    let (done, result) = oneshot::channel();
    let job: Job = Box::new(move || {
        // Nobody waits for it any more (the request was dropped): skip the work.
        if !done.is_closed() {
            let _ = done.send(catch_unwind(AssertUnwindSafe(work)));
        }
    });
    POOL.queue
        .send(job)
        .map_err(|_| Interrupted("no hashing thread is running".to_owned()))?;
    match result.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_)) => Err(Interrupted("the work panicked".to_owned())),
        Err(_) => Err(Interrupted("the hashing thread stopped".to_owned())),
    }
}

/// A new argon2id hash of `password` (a hashing failure is reported as the work's).
pub async fn hash(password: Password) -> Result<PasswordHash, Interrupted> {
    run(move || PasswordHash::create(&password))
        .await?
        .map_err(|e: PasswordError| Interrupted(e.to_string()))
}

/// Whether `password` matches `hash` (false without a hash).
pub async fn verify(hash: Option<PasswordHash>, password: Password) -> Result<bool, Interrupted> {
    run(move || hash.is_some_and(|h| h.verify(&password))).await
}

/// `account` (what `flow::find_account` found), if `password` signs it in
/// (`flow::check_password`, on a hashing thread).
pub async fn sign_in(
    account: Option<User>,
    password: Password,
) -> Result<Option<User>, StoreError> {
    Ok(run(move || flow::check_password(account, &password)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_and_verifies_off_the_worker() {
        let hash = hash(Password::new("correct horse"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let right = verify(Some(hash.clone()), Password::new("correct horse")).await;
        let wrong = verify(Some(hash), Password::new("wrong")).await;
        let none = verify(None, Password::new("correct horse")).await;
        assert_eq!(
            (right.ok(), wrong.ok(), none.ok()),
            (Some(true), Some(false), Some(false))
        );
    }

    #[tokio::test]
    async fn a_panic_in_the_work_is_an_error_not_a_crash() {
        let failed = run(|| -> u8 { panic!("boom") }).await;
        assert!(failed.is_err());
        assert_eq!(run(|| 7).await.ok(), Some(7), "the thread survived");
    }
}
