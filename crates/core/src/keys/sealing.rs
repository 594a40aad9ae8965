//! Private key material at rest: AES-256-GCM under the master key, with the `kid` as associated data so
//! a sealed blob cannot be moved to another key's row. And short-lived state handed to browsers
//! (`seal_message`), each message under a key of its own derived from the master key.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hmac;

use super::KeyError;
use crate::random::Random;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// The random salt that derives a message's own key.
const SALT_LEN: usize = 16;

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

impl MasterKey {
    /// Seals a message for `purpose` (a fixed label, so one purpose's messages never open as
    /// another's), bound to `aad`: `salt ‖ ciphertext ‖ tag`. Every message has its own AES-256-GCM
    /// key, HMAC-SHA256 of the master key over the purpose and a random salt, so however many
    /// messages are sealed no key comes near GCM's limit on random nonces, and the nonce can be
    /// fixed (zero): a key never seals twice. With ring rather than OpenSSL, whose provider lookups
    /// on every call cost about 30 µs a login page.
    pub fn seal_message(
        &self,
        random: &dyn Random,
        purpose: &str,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        let mut salt = [0u8; SALT_LEN];
        random.fill(&mut salt);
        let key = self
            .message_key(purpose, &salt)
            .ok_or_else(|| KeyError::Crypto("cannot derive a message key".into()))?;
        let mut body = plaintext.to_vec();
        key.seal_in_place_append_tag(zero_nonce(), Aad::from(aad), &mut body)
            .map_err(|_| KeyError::Crypto("cannot seal a message".into()))?;
        Ok([&salt[..], &body].concat())
    }

    /// The message `seal_message` sealed for this purpose and `aad`, if it is one, unaltered.
    pub fn open_message(&self, purpose: &str, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let (salt, body) = sealed.split_at_checked(SALT_LEN)?;
        let key = self.message_key(purpose, salt)?;
        let mut body = body.to_vec();
        let opened = key
            .open_in_place(zero_nonce(), Aad::from(aad), &mut body)
            .ok()?
            .len();
        body.truncate(opened);
        Some(body)
    }

    fn message_key(&self, purpose: &str, salt: &[u8]) -> Option<LessSafeKey> {
        let mut mac = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, &self.0));
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(salt);
        let key = UnboundKey::new(&AES_256_GCM, mac.sign().as_ref()).ok()?;
        Some(LessSafeKey::new(key))
    }
}

fn zero_nonce() -> Nonce {
    Nonce::assume_unique_for_key([0; NONCE_LEN])
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

    #[test]
    fn a_message_opens_only_for_its_purpose_binding_and_key_unaltered() {
        let key = MasterKey::generate(&OsRandom);
        let sealed = key
            .seal_message(&OsRandom, "purpose", b"cookie", b"state")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sealed.len(), SALT_LEN + 5 + TAG_LEN);
        assert_eq!(
            key.open_message("purpose", b"cookie", &sealed),
            Some(b"state".to_vec())
        );
        let again = key
            .seal_message(&OsRandom, "purpose", b"cookie", b"state")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(sealed, again, "a fresh salt, so a fresh key");
        assert_eq!(key.open_message("other", b"cookie", &sealed), None);
        assert_eq!(key.open_message("purpose", b"another", &sealed), None);
        let other = MasterKey::generate(&OsRandom);
        assert_eq!(other.open_message("purpose", b"cookie", &sealed), None);
        let mut altered = sealed.clone();
        altered[SALT_LEN] ^= 1;
        assert_eq!(key.open_message("purpose", b"cookie", &altered), None);
        for short in [&sealed[..3], &sealed[..SALT_LEN + 2], &[][..]] {
            assert_eq!(key.open_message("purpose", b"cookie", short), None);
        }
    }
}
