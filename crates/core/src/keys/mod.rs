//! Signing keys: generation (RFC 7638 `kid`s), sealing under the master key, the rotation schedule and
//! the key ring that signs and publishes the JWKS (RFC 7517).
//!
//! A key's state is derived from three instants, never stored: it is *next* (published, not signing)
//! before `activates_at`, *active* until `retires_at`, *retiring* (published, not signing) until
//! `expires_at` — by then every token it signed has expired — and *retired* afterwards.

mod generate;
mod maintain;
mod ring;
mod schedule;
mod sealing;
mod thumbprint;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

pub use generate::{GeneratedKey, generate};
pub use maintain::{KeyContext, load_ring, rotate};
pub use ring::{KeyRing, VerifyError};
pub use schedule::{KeyState, KeyTimes, RotationPolicy, due_generations, manual_rotation};
pub use sealing::{MasterKey, SealedKey};
pub use thumbprint::thumbprint;

/// The JWS algorithms Valet signs with. RS256 is mandatory for OpenID providers (OIDC Core §15.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SigningAlg {
    Rs256,
    Ps256,
    Es256,
    EdDsa,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 4] = [Self::Rs256, Self::Ps256, Self::Es256, Self::EdDsa];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for SigningAlg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for SigningAlg {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unsupported signing algorithm `{0}` (expected RS256, PS256, ES256 or EdDSA)")]
pub struct UnknownAlg(pub String);

impl FromStr for SigningAlg {
    type Err = UnknownAlg;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.as_str() == s)
            .ok_or_else(|| UnknownAlg(s.to_owned()))
    }
}

/// A signing key as persisted: public JWK in clear, private part sealed.
#[derive(Clone, Debug)]
pub struct StoredKey {
    pub id: Uuid,
    pub kid: String,
    pub alg: SigningAlg,
    pub public_jwk: Map<String, Value>,
    pub sealed: SealedKey,
    pub created_at: DateTime<Utc>,
    pub times: KeyTimes,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "the master key does not decrypt signing key {kid}: this is not the master key these keys were \
         sealed with (check VALET_MASTER_KEY or the master key file)"
    )]
    WrongMasterKey { kid: String },
    #[error("invalid master key: {0}")]
    InvalidMasterKey(String),
    #[error("key material for {kid} is unusable: {reason}")]
    Corrupt { kid: String, reason: String },
    #[error("cryptography failure: {0}")]
    Crypto(String),
    #[error(transparent)]
    Store(#[from] crate::ports::StoreError),
}

impl From<josekit::JoseError> for KeyError {
    fn from(e: josekit::JoseError) -> Self {
        Self::Crypto(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_round_trip_through_their_names() {
        for alg in SigningAlg::ALL {
            assert_eq!(alg.as_str().parse::<SigningAlg>(), Ok(alg));
        }
        assert_eq!(
            "HS256".parse::<SigningAlg>(),
            Err(UnknownAlg("HS256".into()))
        );
        assert!(
            "rs256".parse::<SigningAlg>().is_err(),
            "algorithm names are case-sensitive (RFC 7518)"
        );
    }
}
