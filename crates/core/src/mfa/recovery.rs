//! Recovery codes: ten single-use codes shown once at enrolment, each replacing a one-time password
//! when the authenticator is lost (NIST SP 800-63B §5.1.2, look-up secrets). Each code is 12
//! characters from a 31-symbol alphabet without look-alikes (no 0/o, 1/l/i): 59 bits.
//!
//! The stored form is SHA-256 (`SecretHash`) of the code prefixed with the user's id. The prefix is a
//! salt: one guess can only be tried against one user's codes, never against every row at once.
//! SP 800-63B §5.1.2.2 asks for a slow salted KDF below 112 bits of entropy; a fast hash is kept here
//! because a stolen hash is still one factor short of a sign-in (the password is argon2id), and
//! a slow hash per stored code would make every recovery attempt cost ten argon2 runs.

use std::fmt;

use uuid::Uuid;

use crate::random::Random;
use crate::secret::{Secret, SecretHash};

/// Codes in a fresh set.
pub const SET_SIZE: usize = 10;
const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
const LENGTH: usize = 12;
const GROUP: usize = 6;

/// One recovery code, normalised (`k7m2p9xq4r8n`); prints as `***`. No `PartialEq`: a typed code is
/// looked up by its hash (`typed_hash`), never compared as text.
#[derive(Clone)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    pub fn generate(random: &dyn Random) -> Self {
        let mut bytes = [0u8; 16];
        random.fill(&mut bytes);
        // 31^12 < 2^60, so reducing a 128-bit number leaves a bias below 2^-68 per value.
        let mut value = u128::from_be_bytes(bytes);
        let base = ALPHABET.len() as u128;
        let code = (0..LENGTH)
            .map(|_| {
                let symbol = ALPHABET[(value % base) as usize];
                value /= base;
                char::from(symbol)
            })
            .collect();
        Self(code)
    }

    /// The form shown to the person: two dash-separated groups, `k7m2p9-xq4r8n`.
    pub fn expose(&self) -> String {
        let (head, tail) = self.0.split_at(GROUP);
        format!("{head}-{tail}")
    }

    /// The only form that is stored, salted with the id of the user it belongs to.
    pub fn hash(&self, user_id: Uuid) -> SecretHash {
        salted(user_id, &self.0).sha256()
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

fn salted(user_id: Uuid, normalized: &str) -> Secret {
    Secret::new(format!("{user_id}:{normalized}"))
}

/// A fresh set of `SET_SIZE` codes.
pub fn generate_set(random: &dyn Random) -> Vec<RecoveryCode> {
    (0..SET_SIZE)
        .map(|_| RecoveryCode::generate(random))
        .collect()
}

/// What a person typed, as a code: trimmed, lowercased, spaces and dashes dropped. `None` when it
/// cannot be a recovery code (wrong length or a character outside the alphabet).
pub fn normalize(input: &str) -> Option<String> {
    let code: String = input
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    let valid = code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(code)
}

/// The stored form of what a person typed for `user_id`, to look the code up by; `None` when it
/// cannot be a recovery code.
pub fn typed_hash(user_id: Uuid, input: &str) -> Option<SecretHash> {
    Some(salted(user_id, &normalize(input)?).sha256())
}

#[cfg(test)]
mod tests;
