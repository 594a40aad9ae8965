//! The ID token (OIDC Core §2, §3.1.3.6): claims, and the `at_hash` binding it to the access token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

use crate::keys::SigningAlg;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    pub azp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// User claims placed in the ID token (requested through `claims`, or when no access token is issued).
    #[serde(flatten)]
    pub user_claims: Map<String, Value>,
}

/// `at_hash` / `c_hash` (OIDC Core §3.1.3.6): the left half of the hash of the ASCII value, with the hash
/// of the ID token's algorithm (SHA-256 for RS256/PS256/ES256; SHA-512 for EdDSA with Ed25519).
pub fn token_hash(alg: SigningAlg, value: &str) -> String {
    let digest: Vec<u8> = match alg {
        SigningAlg::Rs256 | SigningAlg::Ps256 | SigningAlg::Es256 => {
            Sha256::digest(value.as_bytes()).to_vec()
        }
        SigningAlg::EdDsa => Sha512::digest(value.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_core_example() {
        // OIDC Core Appendix A.3 (RS256): access token and its at_hash.
        assert_eq!(
            token_hash(
                SigningAlg::Rs256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn eddsa_uses_half_of_sha512() {
        assert_eq!(token_hash(SigningAlg::EdDsa, "x").len(), 43);
        assert_eq!(token_hash(SigningAlg::Es256, "x").len(), 22);
    }

    #[test]
    fn optional_claims_are_omitted_and_user_claims_flattened() {
        let mut user_claims = Map::new();
        user_claims.insert("email".into(), Value::String("a@example.com".into()));
        let claims = IdTokenClaims {
            iss: "https://id.example".into(),
            sub: "u1".into(),
            aud: "c".into(),
            exp: 2,
            iat: 1,
            auth_time: 1,
            nonce: None,
            acr: None,
            amr: vec![],
            azp: "c".into(),
            at_hash: None,
            sid: None,
            user_claims,
        };
        let json = serde_json::to_value(&claims).unwrap_or_default();
        assert!(json.get("nonce").is_none() && json.get("amr").is_none());
        assert_eq!(json["email"], "a@example.com");
    }
}
