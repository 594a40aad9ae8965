//! Fresh key pairs for each signing algorithm: RSA 2048 for RS256/PS256, P-256 for ES256, Ed25519 for EdDSA.

use josekit::jwk::KeyPair;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{ES256, EdDSA, JwsSigner, PS256, RS256};
use serde_json::{Map, Value};

use super::{KeyError, SigningAlg, thumbprint};

const RSA_BITS: u32 = 2048;

/// A new key pair: public JWK (with `kid`, `use`, `alg`) and the PKCS#8 DER private key to seal.
pub struct GeneratedKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub public_jwk: Map<String, Value>,
    pub private_der: Vec<u8>,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

pub fn generate(alg: SigningAlg) -> Result<GeneratedKey, KeyError> {
    let pair: Box<dyn KeyPair> = match alg {
        SigningAlg::Rs256 => Box::new(RS256.generate_key_pair(RSA_BITS)?),
        SigningAlg::Ps256 => Box::new(PS256.generate_key_pair(RSA_BITS)?),
        SigningAlg::Es256 => Box::new(ES256.generate_key_pair()?),
        SigningAlg::EdDsa => Box::new(EdDSA.generate_key_pair(EdCurve::Ed25519)?),
    };
    let mut public_jwk: Map<String, Value> = pair.to_jwk_public_key().into();
    let kid = thumbprint(&public_jwk)?;
    public_jwk.insert("kid".into(), Value::String(kid.clone()));
    public_jwk.insert("use".into(), Value::String("sig".into()));
    public_jwk.insert("alg".into(), Value::String(alg.as_str().into()));
    Ok(GeneratedKey {
        kid,
        alg,
        public_jwk,
        private_der: pair.to_der_private_key(),
    })
}

/// A signer for a stored private key.
pub(super) fn signer_from_der(alg: SigningAlg, der: &[u8]) -> Result<Box<dyn JwsSigner>, KeyError> {
    Ok(match alg {
        SigningAlg::Rs256 => Box::new(RS256.signer_from_der(der)?),
        SigningAlg::Ps256 => Box::new(PS256.signer_from_der(der)?),
        SigningAlg::Es256 => Box::new(ES256.signer_from_der(der)?),
        SigningAlg::EdDsa => Box::new(EdDSA.signer_from_der(der)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_yields_a_public_only_jwk_named_by_its_thumbprint() {
        for alg in SigningAlg::ALL {
            let key = generate(alg).unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert_eq!(key.public_jwk["kid"], Value::String(key.kid.clone()));
            assert_eq!(key.public_jwk["use"], "sig");
            assert_eq!(key.public_jwk["alg"], alg.as_str());
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(
                    !key.public_jwk.contains_key(private),
                    "{alg} leaks `{private}`"
                );
            }
            let expected_kty = match alg {
                SigningAlg::Rs256 | SigningAlg::Ps256 => "RSA",
                SigningAlg::Es256 => "EC",
                SigningAlg::EdDsa => "OKP",
            };
            assert_eq!(key.public_jwk["kty"], expected_kty);
            assert!(signer_from_der(alg, &key.private_der).is_ok());
        }
    }

    #[test]
    fn rsa_keys_are_2048_bits() {
        let key = generate(SigningAlg::Rs256).unwrap_or_else(|e| panic!("{e}"));
        let n = key.public_jwk["n"].as_str().unwrap_or_default();
        // 2048 bits = 256 bytes = 342 base64url characters without padding.
        assert_eq!(n.len(), 342);
    }
}
