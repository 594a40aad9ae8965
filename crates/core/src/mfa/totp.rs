//! Time-based one-time passwords: RFC 6238 over HOTP (RFC 4226) with the parameters every
//! authenticator app understands — HMAC-SHA-1, 6 digits, 30-second steps — accepting one step of
//! clock drift either way (RFC 6238 §5.2) and never the same step twice.

use std::fmt;

use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder, Totp};

use crate::random::Random;

/// Seconds per time step (RFC 6238 §4.1, X = 30).
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code (RFC 4226 §5.3).
pub const DIGITS: usize = 6;
/// Steps of drift accepted either side of the current one (RFC 6238 §5.2).
const WINDOW: i64 = 1;
/// RFC 4226 §4 R6 asks for at least 128 bits and recommends 160.
const SECRET_BYTES: usize = 20;
const MIN_SECRET_BYTES: usize = 16;
/// One HMAC-SHA-1 block; longer keys would only be hashed down.
const MAX_SECRET_BYTES: usize = 64;

/// The shared key of a user's authenticator; prints as `***`.
#[derive(Clone)]
pub struct TotpSecret(Vec<u8>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a TOTP secret is 16 to 64 bytes")]
pub struct InvalidTotpSecret;

/// Why a typed code was refused. Neither variant says what the right code was.
#[derive(Clone, Copy, Debug, thiserror::Error, PartialEq, Eq)]
pub enum TotpError {
    #[error("the code is not valid")]
    Invalid,
    #[error("the code has already been used")]
    Replayed,
}

impl TotpSecret {
    /// A fresh 160-bit secret.
    pub fn generate(random: &dyn Random) -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        random.fill(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, InvalidTotpSecret> {
        if (MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            Ok(Self(bytes.to_vec()))
        } else {
            Err(InvalidTotpSecret)
        }
    }

    /// Reads the base32 form the enrolment page shows, as an authenticator app does.
    pub fn from_base32(text: &str) -> Result<Self, InvalidTotpSecret> {
        let secret = totp_rs::Secret::try_from_base32(text.trim().to_uppercase())
            .map_err(|_| InvalidTotpSecret)?;
        Self::from_bytes(secret.as_bytes())
    }

    /// Unpadded RFC 4648 base32: the form authenticator apps accept typed or in a URI.
    pub fn to_base32(&self) -> String {
        self.totp().secret().to_base32()
    }

    /// The raw key, for sealing.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self) -> Totp {
        // `build` would only repeat the length check `from_bytes` made, behind a Result to unwrap.
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS as u8)
            .with_step_duration(STEP_SECONDS as u64)
            .with_secret(self.0.clone())
            .build_noncompliant()
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The RFC 6238 time step `at` falls in: T = floor(unix time / 30).
pub fn time_step(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(STEP_SECONDS)
}

/// The code an authenticator shows at `at` (instants before 1970 count as step 0).
pub fn code_at(secret: &TotpSecret, at: DateTime<Utc>) -> String {
    code_for_step(secret, time_step(at).max(0))
}

fn code_for_step(secret: &TotpSecret, step: i64) -> String {
    let seconds = u64::try_from(step.saturating_mul(STEP_SECONDS)).unwrap_or(0);
    secret.totp().generate(seconds).to_string()
}

/// Checks a typed code at `now` and returns the time step it matched, which the caller stores as
/// `last_used_step`. Spaces are ignored ("123 456"); anything but exactly six digits is invalid.
/// A code whose step is not after `last_used_step` is refused as replayed (RFC 6238 §5.2: a code is
/// accepted once), so neither the same code nor an older one from the window works twice.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    now: DateTime<Utc>,
    last_used_step: Option<i64>,
) -> Result<i64, TotpError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Invalid);
    }
    let current = time_step(now);
    let mut accepted = None;
    let mut replayed = false;
    // Every step of the window is computed and compared, so timing does not tell which one matched.
    for step in (current - WINDOW).max(0)..=current + WINDOW {
        let matches: bool = code_for_step(secret, step)
            .as_bytes()
            .ct_eq(code.as_bytes())
            .into();
        if !matches {
            continue;
        }
        if last_used_step.is_some_and(|last| step <= last) {
            replayed = true;
        } else if accepted.is_none() {
            accepted = Some(step);
        }
    }
    match (accepted, replayed) {
        (Some(step), _) => Ok(step),
        (None, true) => Err(TotpError::Replayed),
        (None, false) => Err(TotpError::Invalid),
    }
}

#[cfg(test)]
mod tests;
