//! User passwords: argon2id with OWASP's recommended parameters (m = 19 MiB, t = 2, p = 1).

use std::fmt;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, PasswordHash as PhcHash, Version};

/// A password as typed by a person; prints as `***`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A PHC-format argon2id hash string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordHash(String);

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("not an argon2id PHC hash string")]
    NotArgon2id,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

const OWASP_MEMORY_KIB: u32 = 19 * 1024;
const OWASP_ITERATIONS: u32 = 2;

fn hasher() -> Argon2<'static> {
    let params = Params::new(OWASP_MEMORY_KIB, OWASP_ITERATIONS, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHash {
    /// Hash with a fresh random salt.
    pub fn create(password: &Password) -> Result<Self, PasswordError> {
        let hash: PhcHash = hasher()
            .hash_password(password.expose().as_bytes())
            .map_err(|e| PasswordError::Hashing(e.to_string()))?;
        Ok(Self(hash.to_string()))
    }

    /// Accept a pre-computed hash (provisioning); it must be argon2id.
    pub fn parse(phc: &str) -> Result<Self, PasswordError> {
        let parsed = PhcHash::new(phc).map_err(|_| PasswordError::NotArgon2id)?;
        if parsed.algorithm.as_str() != "argon2id" {
            return Err(PasswordError::NotArgon2id);
        }
        Ok(Self(phc.to_owned()))
    }

    /// Verify in constant time (argon2's own comparison).
    pub fn verify(&self, password: &Password) -> bool {
        PhcHash::new(&self.0)
            .map(|parsed| {
                hasher()
                    .verify_password(password.expose().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_right_password() {
        let hash =
            PasswordHash::create(&Password::new("correct horse")).unwrap_or_else(|e| panic!("{e}"));
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hash.verify(&Password::new("correct horse")));
        assert!(!hash.verify(&Password::new("correct horse!")));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_salt() {
        let pw = Password::new("same");
        let a = PasswordHash::create(&pw).unwrap_or_else(|e| panic!("{e}"));
        let b = PasswordHash::create(&pw).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a, b);
    }

    #[test]
    fn only_argon2id_hashes_are_accepted_pre_hashed() {
        assert!(PasswordHash::parse("not a hash").is_err());
        let argon2i = "$argon2i$v=19$m=16,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo";
        assert!(matches!(
            PasswordHash::parse(argon2i),
            Err(PasswordError::NotArgon2id)
        ));
        let real = PasswordHash::create(&Password::new("x")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(PasswordHash::parse(real.as_str()).ok(), Some(real));
    }

    #[test]
    fn passwords_never_print() {
        assert_eq!(format!("{:?}", Password::new("pw")), "***");
    }
}
