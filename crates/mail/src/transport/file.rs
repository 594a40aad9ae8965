//! The development outbox: each message is one RFC 5322 `.eml` file, named by time and a UUID so
//! names sort by sending order and never collide.

use std::io;
use std::path::{Path, PathBuf};

use uuid::Uuid;

pub(super) async fn write(dir: &Path, message: &[u8]) -> io::Result<PathBuf> {
    let name = format!(
        "{}-{}.eml",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        Uuid::now_v7()
    );
    tokio::fs::create_dir_all(dir).await?;
    // Written aside then renamed, so a reader of the directory never sees half a message; readable
    // by its owner only, since a message may carry a password-reset link.
    let partial = dir.join(format!(".{name}.partial"));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, message).await?;
    tokio::io::AsyncWriteExt::flush(&mut file).await?;
    drop(file);
    let path = dir.join(name);
    tokio::fs::rename(&partial, &path).await?;
    Ok(path)
}
