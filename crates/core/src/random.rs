//! Injected randomness, and the opaque tokens made from it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Source of cryptographically secure random bytes.
pub trait Random: Send + Sync {
    fn fill(&self, buf: &mut [u8]);
}

/// The operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        // getrandom only fails when the OS has no entropy source at all; continuing would mint
        // predictable secrets, so stopping the process is the only safe answer.
        #[allow(clippy::expect_used)]
        getrandom::fill(buf).expect("the operating system's random source is unavailable");
    }
}

/// `bytes` random bytes as unpadded base64url: the shape of every opaque token Valet hands out.
pub fn opaque_token(random: &dyn Random, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    random.fill(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// Opaque secrets (client secrets, refresh tokens) carry 256 bits.
pub const SECRET_BYTES: usize = 32;

#[cfg(test)]
pub mod testing {
    use std::sync::atomic::{AtomicU8, Ordering};

    use super::Random;

    /// Deterministic bytes (a counter) so tests can predict tokens.
    #[derive(Debug, Default)]
    pub struct CountingRandom(AtomicU8);

    impl Random for CountingRandom {
        fn fill(&self, buf: &mut [u8]) {
            for b in buf {
                *b = self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_tokens_are_base64url_of_the_requested_length() {
        let token = opaque_token(&OsRandom, SECRET_BYTES);
        assert_eq!(token.len(), 43);
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(token, opaque_token(&OsRandom, SECRET_BYTES));
    }

    #[test]
    fn injected_randomness_makes_tokens_predictable() {
        let random = testing::CountingRandom::default();
        assert_eq!(
            opaque_token(&random, 3),
            URL_SAFE_NO_PAD.encode([0u8, 1, 2])
        );
    }
}
