//! Proof Key for Code Exchange: RFC 7636 §4.1 (verifier), §4.2–4.3 (challenge and method), §4.6
//! (verification). Only `S256` is accepted: `plain` protects nothing once the request leaks (RFC 9700
//! §2.1.1).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const S256: &str = "S256";
/// BASE64URL of a SHA-256 digest, without padding.
const S256_CHALLENGE_LEN: usize = 43;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PkceError {
    #[error("only S256 is supported as code_challenge_method (RFC 7636)")]
    UnsupportedMethod,
    #[error("code_challenge must be 43 base64url characters: BASE64URL(SHA256(code_verifier))")]
    MalformedChallenge,
    #[error("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)")]
    MalformedVerifier,
}

/// An `S256` code challenge from the authorization request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// `method` is the raw `code_challenge_method`; its absence means `plain` (RFC 7636 §4.3), which is
    /// refused like any method other than `S256`.
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<Self, PkceError> {
        if method != Some(S256) {
            return Err(PkceError::UnsupportedMethod);
        }
        if !is_unreserved_43_to_128(challenge) {
            return Err(PkceError::MalformedChallenge);
        }
        let base64url = challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if challenge.len() != S256_CHALLENGE_LEN || !base64url {
            return Err(PkceError::MalformedChallenge);
        }
        Ok(Self(challenge.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn method(&self) -> &'static str {
        S256
    }

    /// RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, compared in constant time.
    pub fn verify(&self, verifier: &CodeVerifier) -> bool {
        let digest = Sha256::digest(verifier.0.as_bytes());
        let computed = URL_SAFE_NO_PAD.encode(digest);
        computed.as_bytes().ct_eq(self.0.as_bytes()).into()
    }
}

/// The `code_verifier` of a token request; a secret, so it never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeVerifier(String);

impl CodeVerifier {
    pub fn parse(verifier: &str) -> Result<Self, PkceError> {
        if is_unreserved_43_to_128(verifier) {
            Ok(Self(verifier.to_owned()))
        } else {
            Err(PkceError::MalformedVerifier)
        }
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier(***)")
    }
}

/// RFC 7636 §4.1 / §4.2: `43*128unreserved`, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
fn is_unreserved_43_to_128(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn challenge(text: &str) -> CodeChallenge {
        CodeChallenge::parse(text, Some("S256")).unwrap_or_else(|e| panic!("{e}"))
    }

    fn verifier(text: &str) -> CodeVerifier {
        CodeVerifier::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn s256_verifies_the_rfc_7636_appendix_b_vector() {
        let c = challenge(RFC_CHALLENGE);
        assert!(c.verify(&verifier(RFC_VERIFIER)));
        assert_eq!(c.as_str(), RFC_CHALLENGE);
        assert_eq!(c.method(), "S256");
    }

    #[test]
    fn a_different_verifier_does_not_verify() {
        let other = format!("{}A", &RFC_VERIFIER[..42]);
        assert!(!challenge(RFC_CHALLENGE).verify(&verifier(&other)));
    }

    #[test]
    fn only_s256_is_accepted_and_an_absent_method_means_plain() {
        assert_eq!(
            CodeChallenge::parse(RFC_CHALLENGE, None),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            CodeChallenge::parse(RFC_CHALLENGE, Some("plain")),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            CodeChallenge::parse(RFC_CHALLENGE, Some("s256")),
            Err(PkceError::UnsupportedMethod)
        );
    }

    #[test]
    fn an_s256_challenge_is_exactly_43_base64url_characters() {
        let s256 = |text: &str| CodeChallenge::parse(text, Some("S256"));
        assert_eq!(
            s256(&RFC_CHALLENGE[..42]),
            Err(PkceError::MalformedChallenge)
        );
        assert_eq!(
            s256(&format!("{RFC_CHALLENGE}A")),
            Err(PkceError::MalformedChallenge)
        );
        assert_eq!(s256(&"a".repeat(129)), Err(PkceError::MalformedChallenge));
        // Unreserved but not base64url: cannot be a SHA-256 digest.
        assert_eq!(
            s256(&format!("{}~", &RFC_CHALLENGE[..42])),
            Err(PkceError::MalformedChallenge)
        );
        assert_eq!(
            s256(&format!("{}=", &RFC_CHALLENGE[..42])),
            Err(PkceError::MalformedChallenge)
        );
    }

    #[test]
    fn verifiers_are_43_to_128_unreserved_characters() {
        assert!(CodeVerifier::parse(&"a".repeat(43)).is_ok());
        assert!(CodeVerifier::parse(&"-._~".repeat(32)).is_ok());
        assert_eq!(
            CodeVerifier::parse(&"a".repeat(42)),
            Err(PkceError::MalformedVerifier)
        );
        assert_eq!(
            CodeVerifier::parse(&"a".repeat(129)),
            Err(PkceError::MalformedVerifier)
        );
        assert_eq!(
            CodeVerifier::parse(&format!("{} ", "a".repeat(43))),
            Err(PkceError::MalformedVerifier)
        );
        assert_eq!(
            CodeVerifier::parse(&format!("{}é", "a".repeat(42))),
            Err(PkceError::MalformedVerifier)
        );
    }

    #[test]
    fn verifiers_never_print() {
        assert_eq!(format!("{:?}", verifier(RFC_VERIFIER)), "CodeVerifier(***)");
    }
}
