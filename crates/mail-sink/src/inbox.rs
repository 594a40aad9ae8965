//! What the sink keeps: every delivered message in memory, optionally also as files: the RFC 5322
//! message as `.eml` and its decoded envelope, subject and parts as `.json`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use crate::received::Received;

pub(crate) struct Inbox {
    state: Mutex<State>,
    arrived: Notify,
    dir: Option<PathBuf>,
}

#[derive(Default)]
struct State {
    messages: Vec<Received>,
    /// Parallel to `messages`: already handed out by `wait_for`.
    taken: Vec<bool>,
}

impl Inbox {
    pub(crate) fn new(dir: Option<PathBuf>) -> Self {
        Self {
            state: Mutex::default(),
            arrived: Notify::new(),
            dir,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the mail other tests wait for.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores a message and returns its 1-based sequence number.
    pub(crate) async fn deliver(
        &self,
        from: String,
        to: Vec<String>,
        raw: Vec<u8>,
    ) -> io::Result<usize> {
        let received = Received::parse(from, to, &raw);
        let number = {
            let mut state = self.state();
            state.messages.push(received.clone());
            state.taken.push(false);
            state.messages.len()
        };
        if let Some(dir) = &self.dir {
            let json = serde_json::to_vec_pretty(&received).map_err(io::Error::other)?;
            for recipient in &received.to {
                let stem = format!("{number}-{}", file_safe(recipient));
                // The decoded copy first: whoever sees the .eml can rely on the .json being there.
                write_whole(dir, &format!("{stem}.json"), &json).await?;
                write_whole(dir, &format!("{stem}.eml"), &raw).await?;
            }
        }
        self.arrived.notify_waiters();
        Ok(number)
    }

    pub(crate) fn messages(&self) -> Vec<Received> {
        self.state().messages.clone()
    }

    /// The oldest message for `to` not yet returned by this method, waiting up to `timeout`.
    pub(crate) async fn wait_for(&self, to: &str, timeout: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            // Registered before looking, so a delivery between the look and the wait is not missed.
            arrived.as_mut().enable();
            if let Some(found) = self.take(to) {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return None;
            }
        }
    }

    fn take(&self, to: &str) -> Option<Received> {
        let mut state = self.state();
        let State { messages, taken } = &mut *state;
        let index = messages
            .iter()
            .zip(taken.iter())
            .position(|(m, taken)| !taken && m.is_for(to))?;
        taken[index] = true;
        Some(messages[index].clone())
    }
}

/// Written aside then renamed, so a reader polling the directory never sees half a file.
async fn write_whole(dir: &Path, name: &str, content: &[u8]) -> io::Result<()> {
    let partial = dir.join(format!(".{name}.partial"));
    tokio::fs::write(&partial, content).await?;
    tokio::fs::rename(&partial, dir.join(name)).await
}

/// Keeps a recipient readable in a file name while making it safe on any file system.
fn file_safe(address: &str) -> String {
    address
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wait_for_returns_each_message_once_in_order() {
        let inbox = Inbox::new(None);
        for subject in ["one", "two"] {
            let raw = format!("Subject: {subject}\r\n\r\nbody\r\n").into_bytes();
            assert!(
                inbox
                    .deliver("a@x.test".into(), vec!["b@x.test".into()], raw)
                    .await
                    .is_ok()
            );
        }
        let wait = |to: &'static str| inbox.wait_for(to, Duration::from_millis(50));
        assert_eq!(
            wait("B@x.test").await.map(|m| m.subject).as_deref(),
            Some("one")
        );
        assert_eq!(
            wait("b@x.test").await.map(|m| m.subject).as_deref(),
            Some("two")
        );
        assert_eq!(wait("b@x.test").await, None);
        assert_eq!(inbox.messages().len(), 2);
    }

    #[tokio::test]
    async fn wait_for_wakes_up_when_a_message_arrives() {
        let inbox = std::sync::Arc::new(Inbox::new(None));
        let sender = inbox.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            sender
                .deliver(
                    String::new(),
                    vec!["late@x.test".into()],
                    b"\r\nhi\r\n".to_vec(),
                )
                .await
        });
        assert!(
            inbox
                .wait_for("late@x.test", Duration::from_secs(5))
                .await
                .is_some()
        );
    }

    #[test]
    fn file_names_keep_the_address_and_drop_path_characters() {
        assert_eq!(file_safe("alice+x@example.test"), "alice+x@example.test");
        assert_eq!(file_safe("../etc/passwd"), ".._etc_passwd");
    }
}
