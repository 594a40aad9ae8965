//! TOTP secrets at rest: AES-256-GCM under the master key (`keys::MasterKey`), stored as text
//! `v1.<base64url nonce>.<base64url ciphertext+tag>`. The associated data is `totp:<user id>`, so a
//! sealed secret copied into another user's row does not open. The server must keep the secret itself
//! (not a hash) because RFC 6238 codes are computed from it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use super::totp::TotpSecret;
use crate::keys::{KeyError, MasterKey, SealedKey};
use crate::random::Random;

const VERSION: &str = "v1";

fn associated_data(user_id: Uuid) -> String {
    format!("totp:{user_id}")
}

pub fn seal_secret(
    master: &MasterKey,
    random: &dyn Random,
    user_id: Uuid,
    secret: &TotpSecret,
) -> Result<String, KeyError> {
    let sealed = master.seal(random, &associated_data(user_id), secret.as_bytes())?;
    Ok(format!(
        "{VERSION}.{}.{}",
        URL_SAFE_NO_PAD.encode(&sealed.nonce),
        URL_SAFE_NO_PAD.encode(&sealed.ciphertext)
    ))
}

/// Every failure is `KeyError::Corrupt` naming `totp:<user id>`: the text is malformed, or it does not
/// open under this master key for this user (another master key sealed it, it was sealed for another
/// user, or it was altered).
pub fn open_secret(master: &MasterKey, user_id: Uuid, text: &str) -> Result<TotpSecret, KeyError> {
    let aad = associated_data(user_id);
    let corrupt = |reason: &str| KeyError::Corrupt {
        kid: aad.clone(),
        reason: reason.to_owned(),
    };
    let mut parts = text.trim().split('.');
    let (Some(VERSION), Some(nonce), Some(ciphertext), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(corrupt("not a v1 sealed TOTP secret"));
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| corrupt("not base64url"))
    };
    let sealed = SealedKey {
        nonce: decode(nonce)?,
        ciphertext: decode(ciphertext)?,
    };
    let bytes = master.open(&aad, &sealed).map_err(|_| {
        corrupt(
            "it does not open with this master key for this user (another master key sealed it, \
             it belongs to another user, or it was altered)",
        )
    })?;
    TotpSecret::from_bytes(&bytes).map_err(|e| corrupt(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    fn sealed(master: &MasterKey, user: Uuid, secret: &TotpSecret) -> String {
        seal_secret(master, &OsRandom, user, secret).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_sealed_secret_opens_to_the_same_codes() {
        let master = MasterKey::generate(&OsRandom);
        let user = Uuid::now_v7();
        let secret = TotpSecret::generate(&OsRandom);
        let text = sealed(&master, user, &secret);
        assert!(text.starts_with("v1."));
        assert!(!text.contains(&secret.to_base32()));
        let opened = open_secret(&master, user, &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(opened.as_bytes(), secret.as_bytes());
    }

    #[test]
    fn two_seals_of_one_secret_differ_by_nonce() {
        let master = MasterKey::generate(&OsRandom);
        let user = Uuid::now_v7();
        let secret = TotpSecret::generate(&OsRandom);
        assert_ne!(
            sealed(&master, user, &secret),
            sealed(&master, user, &secret)
        );
    }

    #[test]
    fn a_sealed_secret_does_not_open_for_another_user_or_master_key() {
        let master = MasterKey::generate(&OsRandom);
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let text = sealed(&master, alice, &TotpSecret::generate(&OsRandom));
        let Err(KeyError::Corrupt { kid, .. }) = open_secret(&master, bob, &text) else {
            panic!("a secret sealed for alice opened for bob");
        };
        assert_eq!(kid, format!("totp:{bob}"));
        let other = MasterKey::generate(&OsRandom);
        assert!(matches!(
            open_secret(&other, alice, &text),
            Err(KeyError::Corrupt { .. })
        ));
    }

    #[test]
    fn malformed_or_altered_text_is_corrupt_not_a_panic() {
        let master = MasterKey::generate(&OsRandom);
        let user = Uuid::now_v7();
        let text = sealed(&master, user, &TotpSecret::generate(&OsRandom));
        let mut altered = text.clone().into_bytes();
        if let Some(last) = altered.last_mut() {
            *last = if *last == b'A' { b'B' } else { b'A' };
        }
        let altered = String::from_utf8(altered).unwrap_or_default();
        for bad in [
            "",
            "v1",
            "v1.abc",
            "v2.AAAA.AAAA",
            "v1.!!.AAAA",
            "v1.AAAA.AAAA.AAAA",
            "v1.AAAAAAAAAAAAAAAA.AA",
            &altered,
        ] {
            assert!(
                matches!(
                    open_secret(&master, user, bad),
                    Err(KeyError::Corrupt { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
