//! Device cookies (the OWASP Authentication Cheat Sheet's defence against lockout by a guesser): a
//! browser in which a password sign-in succeeded carries a cookie, sealed under the master key and
//! bound to the name typed for the account, and its later password attempts at that account are
//! counted on a key of that device instead of the account's. A guesser can keep the account's key
//! blocked for as long as they keep guessing, but not the browsers its owner signed in from before,
//! which they do not hold (the cookie is HttpOnly); a stolen cookie only buys its thief the
//! budget of one more device, counted and blocked like the account.

use actix_web::HttpRequest;
use actix_web::cookie::Cookie;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use valet_core::keys::MasterKey;
use valet_core::random::Random;
use valet_core::secret::hex;
use valet_core::throttle::account_key;

use crate::http::cookies;
use crate::state::AppState;

/// The seal's purpose label: a device cookie never opens as any other sealed message.
const PURPOSE: &str = "valet device cookie v1";
/// How long a device stays trusted after its last successful sign-in.
pub(crate) const DEVICE_TTL: Duration = Duration::days(180);
const ID_LEN: usize = 16;

/// The throttle key of this browser's device, when its cookie was issued for a sign-in to
/// `identifier` (as typed: the account's key) less than [`DEVICE_TTL`] ago.
pub(super) fn trusted_key(state: &AppState, req: &HttpRequest, identifier: &str) -> Option<String> {
    let value = cookies::read(req, cookies::names(&state.config).device)?;
    opened_key(state.master_key(), &value, identifier, state.clock.now())
}

/// The cookie that makes this browser a trusted device for `identifier` (what was typed to sign
/// in), `None` if it cannot be sealed (then the browser simply stays untrusted).
pub(crate) fn cookie(
    state: &AppState,
    random: &dyn Random,
    identifier: &str,
    now: DateTime<Utc>,
) -> Option<Cookie<'static>> {
    let value = sealed(state.master_key(), random, identifier, now)?;
    Some(cookies::device(&state.config, value, DEVICE_TTL))
}

fn sealed(
    master: &MasterKey,
    random: &dyn Random,
    identifier: &str,
    now: DateTime<Utc>,
) -> Option<String> {
    let mut plaintext = [0u8; ID_LEN + 8];
    random.fill(&mut plaintext[..ID_LEN]);
    plaintext[ID_LEN..].copy_from_slice(&now.timestamp().to_be_bytes());
    let aad = account_key(identifier);
    let sealed = master
        .seal_message(random, PURPOSE, aad.as_bytes(), &plaintext)
        .ok()?;
    Some(URL_SAFE_NO_PAD.encode(sealed))
}

fn opened_key(
    master: &MasterKey,
    value: &str,
    identifier: &str,
    now: DateTime<Utc>,
) -> Option<String> {
    let sealed = URL_SAFE_NO_PAD.decode(value).ok()?;
    let aad = account_key(identifier);
    let opened = master.open_message(PURPOSE, aad.as_bytes(), &sealed)?;
    let (id, issued) = opened.split_at_checked(ID_LEN)?;
    let issued = DateTime::from_timestamp(i64::from_be_bytes(issued.try_into().ok()?), 0)?;
    (issued <= now && now - issued < DEVICE_TTL).then(|| format!("device:{}", hex(id)))
}

#[cfg(test)]
mod tests {
    use valet_core::random::OsRandom;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    #[test]
    fn a_device_is_trusted_for_the_account_it_signed_in_to_until_it_expires() {
        let master = MasterKey::generate(&OsRandom);
        let value = sealed(&master, &OsRandom, "Alice", at(0)).unwrap_or_else(|| panic!("sealed"));
        let key = opened_key(&master, &value, " alice ", at(60));
        assert!(
            key.as_deref().is_some_and(|k| k.len() == 7 + 2 * ID_LEN),
            "{key:?}"
        );
        let again = sealed(&master, &OsRandom, "alice", at(0)).unwrap_or_default();
        assert_ne!(
            opened_key(&master, &again, "alice", at(60)),
            key,
            "one id per cookie"
        );
        assert_eq!(
            opened_key(&master, &value, "bob", at(60)),
            None,
            "another account"
        );
        assert_eq!(
            opened_key(&master, &value, "alice", at(0) + DEVICE_TTL),
            None,
            "expired"
        );
        assert_eq!(
            opened_key(&master, &value, "alice", at(-1)),
            None,
            "not yet issued"
        );
        let other = MasterKey::generate(&OsRandom);
        assert_eq!(
            opened_key(&other, &value, "alice", at(60)),
            None,
            "another master key"
        );
        let first = if value.starts_with('A') { "B" } else { "A" };
        let altered = format!("{first}{}", &value[1..]);
        assert_eq!(
            opened_key(&master, &altered, "alice", at(60)),
            None,
            "altered"
        );
        assert_eq!(opened_key(&master, "not base64!", "alice", at(60)), None);
    }
}
