//! The key ring a server instance signs with: decrypted active keys and the pre-serialized JWKS.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use josekit::jwk::Jwk;
use josekit::jws::{ES256, EdDSA, JwsHeader, JwsSigner, JwsVerifier, PS256, RS256};
use serde_json::{Value, json};

use super::generate::signer_from_der;
use super::{KeyError, KeyState, MasterKey, SigningAlg, StoredKey};

struct ActiveKey {
    kid: String,
    signer: Box<dyn JwsSigner>,
}

/// Loaded once per refresh; cheap to read from every request.
pub struct KeyRing {
    active: BTreeMap<SigningAlg, ActiveKey>,
    /// Every published key, by `kid`, for verifying what Valet signed (ID token hints, access tokens).
    verifiers: BTreeMap<String, Box<dyn JwsVerifier>>,
    jwks: Vec<u8>,
}

/// Why a JWT that claims to come from Valet was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("not a compact JWS")]
    Malformed,
    #[error("signed with an unknown or retired key")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("not the expected kind of token (header typ)")]
    WrongType,
}

fn verifier(alg: SigningAlg, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, josekit::JoseError> {
    Ok(match alg {
        SigningAlg::Rs256 => Box::new(RS256.verifier_from_jwk(jwk)?),
        SigningAlg::Ps256 => Box::new(PS256.verifier_from_jwk(jwk)?),
        SigningAlg::Es256 => Box::new(ES256.verifier_from_jwk(jwk)?),
        SigningAlg::EdDsa => Box::new(EdDSA.verifier_from_jwk(jwk)?),
    })
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<_> = self
            .active
            .iter()
            .map(|(alg, k)| (alg.as_str(), k.kid.as_str()))
            .collect();
        f.debug_struct("KeyRing")
            .field("active", &kids)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// Opens every published key (so a wrong master key is caught even before a key signs) and picks,
    /// per algorithm, the active key that activated last (ties broken by `kid`, identically on every
    /// replica).
    pub fn load(
        keys: &[StoredKey],
        master: &MasterKey,
        now: DateTime<Utc>,
    ) -> Result<Self, KeyError> {
        let mut published: Vec<&StoredKey> = keys
            .iter()
            .filter(|k| k.times.state_at(now).is_published())
            .collect();
        published.sort_by(|a, b| {
            (a.alg, b.times.activates_at, &a.kid).cmp(&(b.alg, a.times.activates_at, &b.kid))
        });
        let mut active: BTreeMap<SigningAlg, ActiveKey> = BTreeMap::new();
        let mut verifiers: BTreeMap<String, Box<dyn JwsVerifier>> = BTreeMap::new();
        for key in &published {
            let corrupt = |e: josekit::JoseError| KeyError::Corrupt {
                kid: key.kid.clone(),
                reason: e.to_string(),
            };
            let jwk = Jwk::from_map(key.public_jwk.clone()).map_err(corrupt)?;
            verifiers.insert(key.kid.clone(), verifier(key.alg, &jwk).map_err(corrupt)?);
            let der = master.open(&key.kid, &key.sealed)?;
            if key.times.state_at(now) == KeyState::Active && !active.contains_key(&key.alg) {
                let signer = signer_from_der(key.alg, &der).map_err(|e| KeyError::Corrupt {
                    kid: key.kid.clone(),
                    reason: e.to_string(),
                })?;
                active.insert(
                    key.alg,
                    ActiveKey {
                        kid: key.kid.clone(),
                        signer,
                    },
                );
            }
        }
        let jwks = json!({ "keys": published.iter().map(|k| Value::Object(k.public_jwk.clone())).collect::<Vec<_>>() });
        let jwks = serde_json::to_vec(&jwks).map_err(|e| KeyError::Crypto(e.to_string()))?;
        Ok(Self {
            active,
            verifiers,
            jwks,
        })
    }

    /// The JWKS document (RFC 7517 §5), public members only.
    pub fn jwks_json(&self) -> &[u8] {
        &self.jwks
    }

    /// Algorithms this ring can sign with right now.
    pub fn algorithms(&self) -> impl Iterator<Item = SigningAlg> + '_ {
        self.active.keys().copied()
    }

    pub fn signing_kid(&self, alg: SigningAlg) -> Option<&str> {
        self.active.get(&alg).map(|k| k.kid.as_str())
    }

    /// Verifies a compact JWS that Valet signed with any published key and whose header `typ` is `typ`;
    /// returns the payload. `alg: none` and foreign keys fail: the header's `kid` must name a published
    /// key and its algorithm.
    pub fn verify(&self, jws: &str, typ: &str) -> Result<Vec<u8>, VerifyError> {
        let header = josekit::jwt::decode_header(jws).map_err(|_| VerifyError::Malformed)?;
        if header.claim("typ").and_then(Value::as_str) != Some(typ) {
            return Err(VerifyError::WrongType);
        }
        let kid = header
            .claim("kid")
            .and_then(Value::as_str)
            .ok_or(VerifyError::UnknownKey)?;
        let verifier = self.verifiers.get(kid).ok_or(VerifyError::UnknownKey)?;
        if header.claim("alg").and_then(Value::as_str) != Some(verifier.algorithm().name()) {
            return Err(VerifyError::BadSignature);
        }
        josekit::jws::deserialize_compact(jws, verifier.as_ref())
            .map(|(payload, _)| payload)
            .map_err(|_| VerifyError::BadSignature)
    }

    /// A compact JWS over `payload` with `typ` and the active key's `kid` in the header.
    pub fn sign(&self, alg: SigningAlg, typ: &str, payload: &[u8]) -> Result<String, KeyError> {
        let key = self
            .active
            .get(&alg)
            .ok_or_else(|| KeyError::Crypto(format!("no active {alg} key")))?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(key.kid.clone());
        Ok(josekit::jws::serialize_compact(
            payload,
            &header,
            key.signer.as_ref(),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use josekit::jwk::Jwk;
    use josekit::jws::{ES256, EdDSA, PS256, RS256};

    use super::*;
    use crate::keys::{KeyTimes, RotationPolicy, generate};
    use crate::random::OsRandom;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    fn stored(master: &MasterKey, alg: SigningAlg, times: KeyTimes) -> StoredKey {
        let key = generate(alg).unwrap_or_else(|e| panic!("{e}"));
        let sealed = master
            .seal(&OsRandom, &key.kid, &key.private_der)
            .unwrap_or_else(|e| panic!("{e}"));
        StoredKey {
            id: uuid::Uuid::now_v7(),
            kid: key.kid,
            alg,
            public_jwk: key.public_jwk,
            sealed,
            created_at: t0(),
            times,
        }
    }

    fn times(activates_at: DateTime<Utc>) -> KeyTimes {
        let p = RotationPolicy {
            interval: Duration::days(90),
            lead: Duration::days(2),
            retention: Duration::days(1),
        };
        KeyTimes {
            activates_at,
            retires_at: activates_at + p.interval,
            expires_at: activates_at + p.interval + p.retention,
        }
    }

    fn verify(alg: SigningAlg, jwk: &Jwk, jws: &str) -> bool {
        let result = match alg {
            SigningAlg::Rs256 => RS256
                .verifier_from_jwk(jwk)
                .and_then(|v| josekit::jws::deserialize_compact(jws, &v)),
            SigningAlg::Ps256 => PS256
                .verifier_from_jwk(jwk)
                .and_then(|v| josekit::jws::deserialize_compact(jws, &v)),
            SigningAlg::Es256 => ES256
                .verifier_from_jwk(jwk)
                .and_then(|v| josekit::jws::deserialize_compact(jws, &v)),
            SigningAlg::EdDsa => EdDSA
                .verifier_from_jwk(jwk)
                .and_then(|v| josekit::jws::deserialize_compact(jws, &v)),
        };
        result.is_ok()
    }

    #[test]
    fn signatures_verify_against_the_published_jwks() {
        let master = MasterKey::generate(&OsRandom);
        let keys: Vec<_> = SigningAlg::ALL
            .iter()
            .map(|&alg| stored(&master, alg, times(t0())))
            .collect();
        let ring = KeyRing::load(&keys, &master, t0()).unwrap_or_else(|e| panic!("{e}"));
        let jwks: Value = serde_json::from_slice(ring.jwks_json()).unwrap_or_default();
        for alg in SigningAlg::ALL {
            let jws = ring
                .sign(alg, "JWT", b"{\"sub\":\"1\"}")
                .unwrap_or_else(|e| panic!("{e}"));
            let kid = ring.signing_kid(alg).unwrap_or_default();
            let jwk = jwks["keys"]
                .as_array()
                .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
                .and_then(|k| Jwk::from_map(k.as_object().cloned().unwrap_or_default()).ok())
                .unwrap_or_else(|| panic!("{alg} key {kid} not published"));
            assert!(verify(alg, &jwk, &jws), "{alg} signature does not verify");
        }
    }

    #[test]
    fn next_and_retiring_keys_are_published_but_do_not_sign() {
        let master = MasterKey::generate(&OsRandom);
        let now = t0() + Duration::days(89);
        let old = stored(&master, SigningAlg::Es256, times(t0()));
        let current = stored(&master, SigningAlg::Es256, times(t0() + Duration::days(60)));
        let next = stored(&master, SigningAlg::Es256, times(now + Duration::days(1)));
        let expired = stored(
            &master,
            SigningAlg::Es256,
            times(t0() - Duration::days(200)),
        );
        let ring = KeyRing::load(
            &[old.clone(), current.clone(), next.clone(), expired.clone()],
            &master,
            now,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            ring.signing_kid(SigningAlg::Es256),
            Some(current.kid.as_str())
        );
        let jwks = String::from_utf8_lossy(ring.jwks_json()).into_owned();
        for published in [&old, &current, &next] {
            assert!(jwks.contains(&published.kid));
        }
        assert!(!jwks.contains(&expired.kid));
        assert!(
            ring.sign(SigningAlg::Rs256, "JWT", b"{}").is_err(),
            "no RS256 key was loaded"
        );
    }

    #[test]
    fn the_ring_verifies_its_own_signatures_and_nothing_else() {
        let master = MasterKey::generate(&OsRandom);
        let keys: Vec<_> = SigningAlg::ALL
            .iter()
            .map(|&alg| stored(&master, alg, times(t0())))
            .collect();
        let ring = KeyRing::load(&keys, &master, t0()).unwrap_or_else(|e| panic!("{e}"));
        for alg in SigningAlg::ALL {
            let jws = ring
                .sign(alg, "JWT", b"{\"a\":1}")
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(ring.verify(&jws, "JWT"), Ok(b"{\"a\":1}".to_vec()));
            assert_eq!(ring.verify(&jws, "at+jwt"), Err(VerifyError::WrongType));
            let mut tampered = jws.clone();
            tampered.insert(tampered.find('.').unwrap_or_default() + 2, 'x');
            assert!(ring.verify(&tampered, "JWT").is_err());
        }
        let other_master = MasterKey::generate(&OsRandom);
        let foreign = KeyRing::load(
            &[stored(&other_master, SigningAlg::Rs256, times(t0()))],
            &other_master,
            t0(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let jws = foreign
            .sign(SigningAlg::Rs256, "JWT", b"{}")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ring.verify(&jws, "JWT"), Err(VerifyError::UnknownKey));
        let unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.";
        assert!(ring.verify(unsigned, "JWT").is_err());
        assert_eq!(ring.verify("garbage", "JWT"), Err(VerifyError::Malformed));
    }

    #[test]
    fn a_wrong_master_key_is_reported_not_ignored() {
        let master = MasterKey::generate(&OsRandom);
        let key = stored(&master, SigningAlg::EdDsa, times(t0()));
        let err = KeyRing::load(&[key], &MasterKey::generate(&OsRandom), t0());
        assert!(matches!(err, Err(KeyError::WrongMasterKey { .. })));
    }
}
