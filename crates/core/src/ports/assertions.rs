//! Replay protection for client assertions: RFC 7523 §3 item 7 lets the server remember `jti`s until
//! the assertion expires, so each assertion authenticates at most once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::StoreError;
use crate::client::ClientId;
use crate::secret::hex;

#[async_trait]
pub trait AssertionReplayStore: Send + Sync {
    /// Records that `client_id` used the assertion `jti`; `false` when that pair was already recorded.
    /// After `expires_at` the assertion can no longer be accepted, so the record may be dropped.
    async fn record_assertion(
        &self,
        client_id: &ClientId,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// The stored key of a used assertion: SHA-256 (hex) of `client_id`, a newline and `jti`. A `jti` is
/// client-chosen text, so only this digest is kept; the newline cannot occur in a client_id, so two
/// different pairs never share a key.
pub fn assertion_key(client_id: &ClientId, jti: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(client_id.as_str().as_bytes());
    digest.update(b"\n");
    digest.update(jti.as_bytes());
    hex(&digest.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertion_keys_separate_client_and_jti() {
        let a = ClientId::parse("ab").unwrap_or_else(|e| panic!("{e}"));
        let b = ClientId::parse("a").unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(assertion_key(&a, "c"), assertion_key(&b, "bc"));
        assert_eq!(assertion_key(&a, "c"), assertion_key(&a, "c"));
        assert_eq!(assertion_key(&a, "c").len(), 64);
    }
}
