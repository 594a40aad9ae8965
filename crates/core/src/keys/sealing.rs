//! Private key material at rest: AES-256-GCM under the master key, with the `kid` as associated data so
//! a sealed blob cannot be moved to another key's row.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};

use super::KeyError;
use crate::random::Random;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The 256-bit key that seals every private key. Never printed.
#[derive(Clone)]
pub struct MasterKey([u8; KEY_LEN]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

/// Ciphertext (with the GCM tag appended) and its nonce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedKey {
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
}

impl MasterKey {
    pub fn generate(random: &dyn Random) -> Self {
        let mut key = [0u8; KEY_LEN];
        random.fill(&mut key);
        Self(key)
    }

    /// Parse the text form: 32 bytes in base64 (standard or URL-safe, padding optional).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| KeyError::InvalidMasterKey("not base64".into()))?;
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|b: Vec<u8>| {
            KeyError::InvalidMasterKey(format!("{} bytes where 32 are needed", b.len()))
        })?;
        Ok(Self(key))
    }

    /// The text form written to the key file.
    pub fn to_text(&self) -> String {
        STANDARD.encode(self.0)
    }

    pub fn seal(
        &self,
        random: &dyn Random,
        kid: &str,
        plaintext: &[u8],
    ) -> Result<SealedKey, KeyError> {
        let mut nonce = vec![0u8; NONCE_LEN];
        random.fill(&mut nonce);
        let mut tag = [0u8; TAG_LEN];
        let mut ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            kid.as_bytes(),
            plaintext,
            &mut tag,
        )
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
        ciphertext.extend_from_slice(&tag);
        Ok(SealedKey { ciphertext, nonce })
    }

    pub fn open(&self, kid: &str, sealed: &SealedKey) -> Result<Vec<u8>, KeyError> {
        let split = sealed
            .ciphertext
            .len()
            .checked_sub(TAG_LEN)
            .ok_or_else(|| KeyError::Corrupt {
                kid: kid.to_owned(),
                reason: "sealed key shorter than its tag".into(),
            })?;
        let (ciphertext, tag) = sealed.ciphertext.split_at(split);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&sealed.nonce),
            kid.as_bytes(),
            ciphertext,
            tag,
        )
        .map_err(|_| KeyError::WrongMasterKey {
            kid: kid.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    #[test]
    fn sealed_material_opens_only_with_the_same_key_and_kid() {
        let key = MasterKey::generate(&OsRandom);
        let sealed = key
            .seal(&OsRandom, "kid-1", b"private")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(sealed.ciphertext[..7], b"private"[..]);
        assert_eq!(key.open("kid-1", &sealed).ok(), Some(b"private".to_vec()));
        assert!(matches!(
            key.open("kid-2", &sealed),
            Err(KeyError::WrongMasterKey { .. })
        ));
        let other = MasterKey::generate(&OsRandom);
        assert!(matches!(
            other.open("kid-1", &sealed),
            Err(KeyError::WrongMasterKey { .. })
        ));
    }

    #[test]
    fn master_key_text_round_trips_and_rejects_wrong_lengths() {
        let key = MasterKey::generate(&OsRandom);
        let again =
            MasterKey::parse(&format!("{}\n", key.to_text())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.0, key.0);
        assert!(MasterKey::parse(&STANDARD.encode([0u8; 16])).is_err());
        assert!(MasterKey::parse("not base64 at all!").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey(***)");
    }

    #[test]
    fn truncated_ciphertext_is_corrupt_not_a_panic() {
        let key = MasterKey::generate(&OsRandom);
        let sealed = SealedKey {
            ciphertext: vec![1, 2, 3],
            nonce: vec![0; NONCE_LEN],
        };
        assert!(matches!(
            key.open("k", &sealed),
            Err(KeyError::Corrupt { .. })
        ));
    }
}
