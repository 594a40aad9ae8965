//! Secrets that redact themselves, compare in constant time and are stored only as hashes.
//!
//! Client secrets are server-generated with 256 bits of entropy, so a fast hash (SHA-256) is the right
//! at-rest form: a slow password hash would cap token-endpoint throughput and add nothing against
//! guessing a 256-bit value.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::random::{Random, SECRET_BYTES, opaque_token};

/// A secret value in memory; prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// A fresh 256-bit opaque secret.
    pub fn generate(random: &dyn Random) -> Self {
        Self(opaque_token(random, SECRET_BYTES))
    }

    /// The clear value, for the one place that must show or send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn sha256(&self) -> SecretHash {
        SecretHash::of(self.0.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Declares an opaque credential Valet hands out (code, refresh token, session cookie, interaction
/// handle): a distinct type per kind, so one can never be passed for another, sharing `Secret`'s
/// redaction and its SHA-256 at-rest form.
macro_rules! opaque_secret {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name($crate::secret::Secret);

        impl $name {
            /// A fresh 256-bit value.
            pub fn generate(random: &dyn $crate::random::Random) -> Self {
                Self($crate::secret::Secret::generate(random))
            }

            /// The value as presented by a client or browser.
            pub fn parse(text: &str) -> Self {
                Self($crate::secret::Secret::new(text))
            }

            pub fn expose(&self) -> &str {
                self.0.expose()
            }

            /// The only form that is stored.
            pub fn hash(&self) -> $crate::secret::SecretHash {
                self.0.sha256()
            }
        }
    };
}
pub(crate) use opaque_secret;

/// The stored form of a high-entropy secret: `sha256:` followed by the lowercase hex digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretHash(String);

const PREFIX: &str = "sha256:";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a secret hash must be `sha256:` followed by 64 hexadecimal digits")]
pub struct InvalidSecretHash;

impl SecretHash {
    pub fn of(bytes: &[u8]) -> Self {
        Self(format!("{PREFIX}{}", hex(&Sha256::digest(bytes))))
    }

    /// Accepts a stored or pre-hashed value (`sha256:<hex>`, or the bare 64-digit hex digest).
    pub fn parse(value: &str) -> Result<Self, InvalidSecretHash> {
        let digest = value.strip_prefix(PREFIX).unwrap_or(value);
        if digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(format!("{PREFIX}{}", digest.to_ascii_lowercase())))
        } else {
            Err(InvalidSecretHash)
        }
    }

    /// Constant-time check of a presented secret against this hash.
    pub fn matches(&self, presented: &Secret) -> bool {
        let candidate = presented.sha256();
        bool::from(candidate.0.as_bytes().ct_eq(self.0.as_bytes()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lowercase hexadecimal, for digests.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    #[test]
    fn secrets_never_print_their_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "*** ***");
    }

    #[test]
    fn a_hash_matches_only_its_secret() {
        let secret = Secret::generate(&OsRandom);
        let hash = secret.sha256();
        assert!(hash.matches(&secret));
        assert!(!hash.matches(&Secret::new("something else")));
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            Secret::new("abc").sha256().as_str(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn pre_hashed_values_parse_with_or_without_prefix() {
        let bare = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
        let parsed = SecretHash::parse(bare);
        assert_eq!(parsed, Ok(Secret::new("abc").sha256()));
        assert_eq!(SecretHash::parse(&format!("sha256:{bare}")), parsed);
        assert_eq!(SecretHash::parse("sha256:abc"), Err(InvalidSecretHash));
    }
}
