//! Device cookies (the OWASP Authentication Cheat Sheet's defence against lockout by a guesser): a
//! browser in which a user completed a sign-in (password and any second factor) carries a cookie,
//! sealed under the master key and bound to the user and to their current password, and its later
//! password attempts and reset requests for that account are counted on a key of that device
//! instead of the account's. A guesser can keep the account's key blocked for as long as they keep
//! guessing, but not the browsers its owner signed in from, which they do not hold (the cookie is
//! HttpOnly). A browser keeps its device id from one sign-in to the next, and a new password voids
//! every cookie issued before it, so cookies collected with a phished password buy nothing once
//! the password is changed.

use actix_web::HttpRequest;
use actix_web::cookie::Cookie;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use valet_core::flow;
use valet_core::keys::MasterKey;
use valet_core::ports::StoreError;
use valet_core::random::Random;
use valet_core::secret::hex;
use valet_core::user::User;

use crate::http::cookies;
use crate::state::AppState;

/// The seal's purpose label: a device cookie never opens as any other sealed message.
const PURPOSE: &str = "valet device cookie v2";
/// How long a device stays trusted after its last sign-in.
const DEVICE_TTL: Duration = Duration::days(180);
const ID_LEN: usize = 16;
const EPOCH_LEN: usize = 8;

/// A device cookie as opened for one user.
struct Opened {
    id: [u8; ID_LEN],
    /// Issued under the user's current password, less than [`DEVICE_TTL`] ago.
    current: bool,
}

/// The throttle key of this browser's device, when it carries a current device cookie of the
/// account `identifier` names (one lookup, made only when a cookie is present).
pub(super) async fn trusted_key(
    state: &AppState,
    req: &HttpRequest,
    identifier: &str,
) -> Result<Option<String>, StoreError> {
    let Some(value) = cookies::read(req, cookies::names(&state.config).device) else {
        return Ok(None);
    };
    let Some(user) = flow::find_account(&state.db, identifier).await? else {
        return Ok(None);
    };
    Ok(opened_key(state, &value, &user))
}

/// Like [`trusted_key`], for an account already looked up.
pub(super) fn trusted_key_for(state: &AppState, req: &HttpRequest, user: &User) -> Option<String> {
    let value = cookies::read(req, cookies::names(&state.config).device)?;
    opened_key(state, &value, user)
}

fn opened_key(state: &AppState, value: &str, user: &User) -> Option<String> {
    open(state.master_key(), value, user, state.clock.now())
        .filter(|o| o.current)
        .map(|o| format!("device:{}", hex(&o.id)))
}

/// The cookie for a browser in which `user` just completed a sign-in: the device id it had for
/// them, or a new one. `None` if it cannot be sealed (the browser simply stays untrusted).
pub(crate) fn cookie(
    state: &AppState,
    req: &HttpRequest,
    random: &dyn Random,
    user: &User,
    now: DateTime<Utc>,
) -> Option<Cookie<'static>> {
    let master = state.master_key();
    let kept = cookies::read(req, cookies::names(&state.config).device)
        .and_then(|value| open(master, &value, user, now))
        .map(|o| o.id);
    let id = kept.unwrap_or_else(|| {
        let mut id = [0u8; ID_LEN];
        random.fill(&mut id);
        id
    });
    let value = seal(master, random, user, id, now)?;
    Some(cookies::device(&state.config, value, DEVICE_TTL))
}

/// The password's epoch: a digest of its stored hash, which any new password changes.
fn epoch(user: &User) -> [u8; EPOCH_LEN] {
    let hash = user.password_hash.as_ref().map_or("", |h| h.as_str());
    let digest = Sha256::digest(hash.as_bytes());
    let mut epoch = [0u8; EPOCH_LEN];
    epoch.copy_from_slice(&digest[..EPOCH_LEN]);
    epoch
}

fn seal(
    master: &MasterKey,
    random: &dyn Random,
    user: &User,
    id: [u8; ID_LEN],
    now: DateTime<Utc>,
) -> Option<String> {
    let plaintext = [&id[..], &now.timestamp().to_be_bytes(), &epoch(user)].concat();
    let sealed = master
        .seal_message(random, PURPOSE, user.id.as_bytes(), &plaintext)
        .ok()?;
    Some(URL_SAFE_NO_PAD.encode(sealed))
}

/// The cookie's device id, if it was sealed for `user` and has not expired.
fn open(master: &MasterKey, value: &str, user: &User, now: DateTime<Utc>) -> Option<Opened> {
    let sealed = URL_SAFE_NO_PAD.decode(value).ok()?;
    let opened = master.open_message(PURPOSE, user.id.as_bytes(), &sealed)?;
    let (id, rest) = opened.split_at_checked(ID_LEN)?;
    let (issued, sealed_epoch) = rest.split_at_checked(8)?;
    let issued = DateTime::from_timestamp(i64::from_be_bytes(issued.try_into().ok()?), 0)?;
    if !(issued <= now && now - issued < DEVICE_TTL) {
        return None;
    }
    Some(Opened {
        id: id.try_into().ok()?,
        current: sealed_epoch == epoch(user),
    })
}

#[cfg(test)]
mod tests {
    use valet_core::password::{Password, PasswordHash};
    use valet_core::random::OsRandom;
    use valet_core::user::Username;

    use super::*;

    fn user(name: &str) -> User {
        User {
            id: uuid::Uuid::now_v7(),
            username: Username::parse(name).unwrap_or_else(|_| panic!("{name}")),
            password_hash: None,
            disabled: false,
            claims: Default::default(),
            roles: Default::default(),
            created_at: at(0),
            updated_at: at(0),
            second_factor: false,
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    fn with_password(mut u: User, password: &str) -> User {
        u.password_hash = PasswordHash::create(&Password::new(password)).ok();
        u
    }

    #[test]
    fn a_device_is_trusted_for_its_user_and_password_until_it_expires() {
        let master = MasterKey::generate(&OsRandom);
        let alice = with_password(user("alice"), "alice's password");
        let id = [7u8; ID_LEN];
        let value = seal(&master, &OsRandom, &alice, id, at(0)).unwrap_or_default();
        let opened = open(&master, &value, &alice, at(60));
        assert!(opened.as_ref().is_some_and(|o| o.current && o.id == id));
        let bob = with_password(user("bob"), "bob's password");
        assert!(
            open(&master, &value, &bob, at(60)).is_none(),
            "another user"
        );
        assert!(
            open(&master, &value, &alice, at(0) + DEVICE_TTL).is_none(),
            "expired"
        );
        assert!(
            open(&master, &value, &alice, at(-1)).is_none(),
            "not yet issued"
        );
        let other = MasterKey::generate(&OsRandom);
        assert!(
            open(&other, &value, &alice, at(60)).is_none(),
            "another master key"
        );
        let first = if value.starts_with('A') { "B" } else { "A" };
        let altered = format!("{first}{}", &value[1..]);
        assert!(open(&master, &altered, &alice, at(60)).is_none(), "altered");
        assert!(open(&master, "not base64!", &alice, at(60)).is_none());

        let changed = with_password(alice.clone(), "a new password");
        let stale = open(&master, &value, &changed, at(60));
        assert!(
            stale.is_some_and(|o| !o.current && o.id == id),
            "a new password voids the trust but the browser keeps its id"
        );
    }
}
