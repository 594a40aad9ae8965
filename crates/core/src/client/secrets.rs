//! A client's secrets at rest (RFC 6749 §2.3.1, OIDC Core §9): the current one as a SHA-256 hash, the
//! one a rotation replaced while its overlap runs, and — for client_secret_jwt only — the secret itself
//! sealed under the master key, because an HMAC assertion is verified with the secret, not its hash.

use chrono::{DateTime, Utc};

use super::ClientId;
use crate::keys::{MasterKey, SealedKey};
use crate::random::Random;
use crate::secret::{Secret, SecretHash};

/// The secret a rotation replaced (`valet client rotate-secret --overlap`), still accepted before
/// `expires_at` so relying parties can roll over without downtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousSecret {
    pub hash: SecretHash,
    pub expires_at: DateTime<Utc>,
}

impl PreviousSecret {
    /// `presented` is this secret and the overlap still runs at `now`. The hash comparison is constant
    /// time and always made, whatever the instant.
    pub fn accepts(&self, presented: &Secret, now: DateTime<Utc>) -> bool {
        self.hash.matches(presented) & (now < self.expires_at)
    }
}

/// Why a client secret could not be sealed or opened. Never holds the secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the sealed secret of client `{client_id}`: {reason}")]
pub struct SealedSecretError {
    pub client_id: String,
    pub reason: String,
}

/// Seals client secrets under the master key (AES-256-GCM). The client_id is the associated data, so a
/// sealed secret copied into another client's row does not open.
pub struct SecretSealer<'a> {
    pub master: &'a MasterKey,
    pub random: &'a dyn Random,
}

impl SecretSealer<'_> {
    pub fn seal(
        &self,
        client_id: &ClientId,
        secret: &Secret,
    ) -> Result<SealedKey, SealedSecretError> {
        self.master
            .seal(self.random, client_id.as_str(), secret.expose().as_bytes())
            .map_err(|e| SealedSecretError {
                client_id: client_id.as_str().to_owned(),
                reason: format!("sealing failed: {e}"),
            })
    }

    /// Whether `sealed` opens, under this master key, to exactly `secret`.
    pub fn holds(&self, client_id: &ClientId, sealed: &SealedKey, secret: &Secret) -> bool {
        open_secret(self.master, client_id, sealed).is_ok_and(|opened| opened == *secret)
    }
}

/// Opens a client's sealed secret.
pub fn open_secret(
    master: &MasterKey,
    client_id: &ClientId,
    sealed: &SealedKey,
) -> Result<Secret, SealedSecretError> {
    let failed = |reason: &str| SealedSecretError {
        client_id: client_id.as_str().to_owned(),
        reason: reason.to_owned(),
    };
    let bytes = master.open(client_id.as_str(), sealed).map_err(|_| {
        failed("it does not open with this master key (another master key sealed it, or it is corrupt)")
    })?;
    String::from_utf8(bytes)
        .map(Secret::new)
        .map_err(|_| failed("it is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::random::OsRandom;

    fn id(text: &str) -> ClientId {
        ClientId::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_previous_secret_is_accepted_only_before_it_expires() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let old = Secret::new("old-secret");
        let previous = PreviousSecret {
            hash: old.sha256(),
            expires_at: now + Duration::hours(1),
        };
        assert!(previous.accepts(&old, now));
        assert!(previous.accepts(&old, now + Duration::minutes(59)));
        assert!(!previous.accepts(&old, now + Duration::hours(1)));
        assert!(!previous.accepts(&Secret::new("other"), now));
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_client_and_master_key() {
        let master = MasterKey::generate(&OsRandom);
        let sealer = SecretSealer {
            master: &master,
            random: &OsRandom,
        };
        let secret = Secret::new("the-clear-secret-of-at-least-32-bytes");
        let sealed = sealer
            .seal(&id("app"), &secret)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            open_secret(&master, &id("app"), &sealed).ok(),
            Some(secret.clone())
        );
        assert!(sealer.holds(&id("app"), &sealed, &secret));
        assert!(!sealer.holds(&id("app"), &sealed, &Secret::new("other")));
        let moved = open_secret(&master, &id("other-app"), &sealed);
        assert!(
            moved.is_err_and(|e| e.client_id == "other-app" && e.reason.contains("master key"))
        );
        let stranger = MasterKey::generate(&OsRandom);
        assert!(open_secret(&stranger, &id("app"), &sealed).is_err());
    }
}
