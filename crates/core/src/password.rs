//! User passwords: argon2id with OWASP's recommended parameters (m = 19 MiB, t = 2, p = 1).
//!
//! A verification fills 19 MiB of working memory. Each thread keeps that memory between
//! verifications instead of allocating and zeroing it every time (argon2 writes every block before
//! reading it, so the previous contents never matter): that allocation, its page faults and its
//! zeroing cost a login about a tenth of the verification itself.

use std::cell::RefCell;
use std::fmt;

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash as PhcHash, Version};
use subtle::ConstantTimeEq;

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
const OWASP_PARALLELISM: u32 = 1;

thread_local! {
    /// This thread's argon2 working memory, kept between verifications.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `fill` on `blocks` KiB of working memory: this thread's, for today's parameters (or less);
/// a fresh allocation, not kept, for a larger (imported) hash, so one odd hash does not pin its
/// memory for the thread's lifetime. `None` when that memory cannot be had (an imported hash may
/// ask for terabytes).
fn with_memory<T>(blocks: usize, fill: impl FnOnce(&mut [Block]) -> T) -> Option<T> {
    let grow = |memory: &mut Vec<Block>| -> Option<()> {
        let missing = blocks.saturating_sub(memory.len());
        memory.try_reserve_exact(missing).ok()?;
        memory.resize(blocks.max(memory.len()), Block::default());
        Some(())
    };
    let kept = usize::try_from(OWASP_MEMORY_KIB).unwrap_or(usize::MAX);
    if blocks > kept {
        let mut memory = Vec::new();
        grow(&mut memory)?;
        return Some(fill(&mut memory));
    }
    MEMORY.with_borrow_mut(|memory| {
        grow(memory)?;
        Some(fill(&mut memory[..blocks]))
    })
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(OWASP_MEMORY_KIB, OWASP_ITERATIONS, OWASP_PARALLELISM, None)
        .unwrap_or_default();
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

    /// Recomputes the hash of `password` with this hash's algorithm, version, parameters and salt,
    /// and compares the outputs in constant time.
    pub fn verify(&self, password: &Password) -> bool {
        let Ok(parsed) = PhcHash::new(&self.0) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return false;
        };
        let algorithm = Algorithm::try_from(parsed.algorithm.as_str());
        let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from);
        let (Ok(algorithm), Ok(version), Ok(params)) =
            (algorithm, version, Params::try_from(&parsed))
        else {
            return false;
        };
        let blocks = params.block_count();
        let argon2 = Argon2::new(algorithm, version, params);
        let mut output = [0u8; 64];
        let Some(output) = output.get_mut(..expected.len()) else {
            return false;
        };
        let computed = with_memory(blocks, |memory| {
            argon2.hash_password_into_with_memory(
                password.expose().as_bytes(),
                salt,
                output,
                memory,
            )
        });
        computed.is_some_and(|c| c.is_ok()) && bool::from(output.ct_eq(expected.as_bytes()))
    }

    /// The hash was not made the way `create` makes one today (argon2id v19, m=19456, t=2, p=1), for
    /// instance an older or imported hash with weaker parameters: after a successful `verify` the
    /// caller should store `create(password)` in its place.
    pub fn needs_rehash(&self) -> bool {
        let Ok(parsed) = PhcHash::new(&self.0) else {
            return true;
        };
        let current_params = Params::try_from(&parsed).is_ok_and(|p| {
            (p.m_cost(), p.t_cost(), p.p_cost())
                == (OWASP_MEMORY_KIB, OWASP_ITERATIONS, OWASP_PARALLELISM)
        });
        parsed.algorithm.as_str() != "argon2id"
            || parsed.version != Some(Version::V0x13 as u32)
            || !current_params
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

    fn hash_with(version: Version, m: u32, t: u32, p: u32) -> PasswordHash {
        let params = Params::new(m, t, p, None).unwrap_or_else(|e| panic!("{e}"));
        let phc = Argon2::new(Algorithm::Argon2id, version, params)
            .hash_password(b"correct horse")
            .unwrap_or_else(|e| panic!("{e}"));
        PasswordHash::parse(&phc.to_string()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_hash_with_todays_parameters_needs_no_rehash() {
        let hash =
            PasswordHash::create(&Password::new("correct horse")).unwrap_or_else(|e| panic!("{e}"));
        assert!(!hash.needs_rehash());
    }

    #[test]
    fn weaker_or_older_hashes_need_a_rehash_but_still_verify() {
        let weak = hash_with(Version::V0x13, 4096, 3, 1);
        assert!(weak.as_str().starts_with("$argon2id$v=19$m=4096,t=3,p=1$"));
        assert!(weak.verify(&Password::new("correct horse")));
        assert!(weak.needs_rehash());
        assert!(hash_with(Version::V0x13, 19 * 1024, 1, 1).needs_rehash());
        assert!(hash_with(Version::V0x13, 19 * 1024, 2, 2).needs_rehash());
        assert!(hash_with(Version::V0x10, 19 * 1024, 2, 1).needs_rehash());
        // Stronger than today is still not today's: one cost for every account.
        assert!(hash_with(Version::V0x13, 64 * 1024, 3, 1).needs_rehash());
    }

    #[test]
    fn one_thread_verifies_hashes_of_any_shape_with_memory_it_keeps() {
        let right = Password::new("correct horse");
        let wrong = Password::new("correct horse!");
        let shapes = [
            hash_with(Version::V0x13, 4096, 3, 1),
            PasswordHash::create(&right).unwrap_or_else(|e| panic!("{e}")),
            hash_with(Version::V0x10, 8192, 2, 2),
            hash_with(Version::V0x13, 32 * 1024, 1, 1),
            hash_with(Version::V0x13, 2048, 2, 1),
        ];
        for hash in &shapes {
            assert!(hash.verify(&right), "{}", hash.as_str());
            assert!(!hash.verify(&wrong), "{}", hash.as_str());
        }
        let kept = MEMORY.with_borrow(Vec::len);
        assert_eq!(
            kept,
            19 * 1024,
            "today's size, not the larger imported hash's"
        );
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::default())
            .hash_password(b"correct horse")
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string();
        assert!(PasswordHash(argon2i).verify(&right), "verified as stored");
        let truncated = shapes[1].as_str().rsplit_once('$').map(|(head, _)| head);
        assert!(!PasswordHash(truncated.unwrap_or_default().to_owned()).verify(&right));
    }

    #[test]
    fn a_hash_asking_for_more_memory_than_there_is_does_not_verify() {
        let today = PasswordHash::create(&Password::new("x")).unwrap_or_else(|e| panic!("{e}"));
        let huge = today
            .as_str()
            .replace("m=19456", &format!("m={}", u32::MAX));
        let huge = PasswordHash::parse(&huge).unwrap_or_else(|e| panic!("{e}"));
        assert!(!huge.verify(&Password::new("x")), "refused, not aborted");
    }

    #[test]
    fn a_hash_without_a_version_field_needs_a_rehash() {
        let current = PasswordHash::create(&Password::new("x")).unwrap_or_else(|e| panic!("{e}"));
        let unversioned = current.as_str().replacen("$v=19", "", 1);
        let parsed = PasswordHash::parse(&unversioned).unwrap_or_else(|e| panic!("{e}"));
        assert!(parsed.needs_rehash());
    }

    #[test]
    fn passwords_never_print() {
        assert_eq!(format!("{:?}", Password::new("pw")), "***");
    }
}
