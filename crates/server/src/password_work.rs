//! Password hashing and verification off the async workers. One argon2id run costs tens of
//! milliseconds of CPU and 19 MiB of memory: run inline, it stalls every other request of its actix
//! worker (and that worker's database round trips); run on an unbounded pool, a burst of logins
//! hashes dozens at once, each evicting the others' memory from the CPU caches, and all finish late
//! together. So the work goes to tokio's blocking pool, at most one run per CPU the process may use
//! (`available_parallelism`, which honours CPU affinity and cgroup quotas); the rest wait their turn
//! in order while the workers go on serving.

use std::num::NonZeroUsize;
use std::sync::LazyLock;
use std::thread::available_parallelism;

use tokio::sync::Semaphore;
use valet_core::flow;
use valet_core::password::{Password, PasswordError, PasswordHash};
use valet_core::ports::StoreError;
use valet_core::user::User;

static RUNS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(available_parallelism().map_or(1, NonZeroUsize::get)));

/// The work could not run to its end (it panicked, or the runtime is shutting down).
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
    let _permit = RUNS
        .acquire()
        .await
        .map_err(|e| Interrupted(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Interrupted(e.to_string()))
}

/// A new argon2id hash of `password`.
pub async fn hash(password: Password) -> Result<PasswordHash, Interrupted> {
    run(move || PasswordHash::create(&password))
        .await?
        .map_err(|e: PasswordError| Interrupted(e.to_string()))
}

/// Whether `password` matches `hash` (false without a hash).
pub async fn verify(hash: Option<PasswordHash>, password: Password) -> Result<bool, Interrupted> {
    run(move || hash.is_some_and(|h| h.verify(&password))).await
}

/// `flow::check_password`: the account, if `password` signs it in.
pub async fn check_login(
    account: Option<User>,
    password: Password,
) -> Result<Option<User>, Interrupted> {
    run(move || flow::check_password(account, &password)).await
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
        assert_eq!(run(|| 7).await.ok(), Some(7), "the permit came back");
    }
}
