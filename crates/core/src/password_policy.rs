//! Which new passwords are accepted (NIST SP 800-63B §5.1.1.2, memorized secret verifiers): a length
//! range counted in Unicode characters, no composition rules, and a refusal of passwords found in a
//! list of commonly used or breached ones or built from the account's own name.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::password::Password;

/// The 10,000 most common passwords, lowercase (see `data/README.md` for their source).
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|line| !line.is_empty())
        .collect()
});

/// Context words shorter than this are too likely to occur by chance to refuse a password for.
const MIN_CONTEXT_CHARS: usize = 4;

/// Length limits in characters. §5.1.1.2: at least 8, and at least 64 allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub max_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 256,
        }
    }
}

/// Why a new password was refused; `Display` is the message shown to the person choosing it.
#[derive(Clone, Copy, Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordRejection {
    #[error("Use at least {min} characters.")]
    TooShort { min: usize },
    #[error("Use at most {max} characters.")]
    TooLong { max: usize },
    #[error("This password is too common and easy to guess. Choose a different one.")]
    Common,
    #[error("Your password must not contain your username or email address.")]
    ContainsContext,
}

impl PasswordPolicy {
    /// `context` holds the account's own words: its username and email address (only the part
    /// before `@` is used), compared case-insensitively when at least four characters long.
    pub fn check(&self, password: &Password, context: &[&str]) -> Result<(), PasswordRejection> {
        let text = password.expose();
        let length = text.chars().count();
        if length < self.min_length {
            return Err(PasswordRejection::TooShort {
                min: self.min_length,
            });
        }
        if length > self.max_length {
            return Err(PasswordRejection::TooLong {
                max: self.max_length,
            });
        }
        let lowered = text.to_lowercase();
        if COMMON.contains(lowered.as_str()) {
            return Err(PasswordRejection::Common);
        }
        if context.iter().any(|word| contains_context(&lowered, word)) {
            return Err(PasswordRejection::ContainsContext);
        }
        Ok(())
    }
}

fn contains_context(lowered_password: &str, word: &str) -> bool {
    let local_part = word.split('@').next().unwrap_or_default().trim();
    local_part.chars().count() >= MIN_CONTEXT_CHARS
        && lowered_password.contains(&local_part.to_lowercase())
}

#[cfg(test)]
mod tests;
