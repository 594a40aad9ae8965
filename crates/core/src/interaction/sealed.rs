//! Login pages carried by their handle: the interaction, sealed under the master key
//! (`MasterKey::seal_message`) and bound to the value of the browser's cookie, is the handle
//! (`s1.` and base64url). Opening it needs that cookie, so the seal also checks the binding.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Entry, Interaction, InteractionBinding, InteractionHandle, Keeping, Stage};
use crate::keys::MasterKey;
use crate::random::Random;

const PURPOSE: &str = "valet login interaction v1";
/// Marks a sealed handle: random handles are base64url, which has no dot.
const PREFIX: &str = "s1.";
/// A larger request is stored instead: the handle goes into URLs, and some proxies cut those at
/// 8 KiB.
const MAX_CARRIED: usize = 4096;

/// What the handle carries (`P`: the parameters, borrowed to seal): a login page's interaction
/// has no session or user yet.
#[derive(Serialize, Deserialize)]
struct Carried<P> {
    id: Uuid,
    client: Uuid,
    params: P,
    csrf: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl Interaction {
    /// A new login page's interaction, carried by its handle; None if its request is too large to
    /// carry (then it is stored: `start`).
    pub fn start_sealed(
        client: Uuid,
        params: &BTreeMap<String, String>,
        now: DateTime<Utc>,
        random: &dyn Random,
        master: &MasterKey,
    ) -> Option<(Self, Entry)> {
        let i = Self::fresh(client, BTreeMap::new(), Stage::Login, now, random);
        let carried = serde_json::to_vec(&Carried {
            id: i.id,
            client: i.client,
            params,
            csrf: i.csrf.clone(),
            created_at: i.created_at,
            expires_at: i.expires_at,
        })
        .ok()
        .filter(|c| c.len() <= MAX_CARRIED)?;
        let binding = InteractionBinding::generate(random);
        let sealed = master
            .seal_message(random, PURPOSE, binding.expose().as_bytes(), &carried)
            .ok()?;
        let handle =
            InteractionHandle::parse(&format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed)));
        let interaction = Self {
            params: params.clone(),
            keeping: Keeping::Sealed(handle.hash()),
            ..i
        };
        Some((interaction, Entry { handle, binding }))
    }

    /// The login page's interaction `handle` carries, if it is a sealed handle and `binding` (the
    /// browser's cookie) is the value it was sealed for. Its expiry is the caller's to check.
    pub fn open_sealed(handle: &str, binding: &str, master: &MasterKey) -> Option<Self> {
        let sealed = URL_SAFE_NO_PAD.decode(handle.strip_prefix(PREFIX)?).ok()?;
        let carried = master.open_message(PURPOSE, binding.as_bytes(), &sealed)?;
        let c: Carried<BTreeMap<String, String>> = serde_json::from_slice(&carried).ok()?;
        Some(Self {
            id: c.id,
            client: c.client,
            params: c.params,
            stage: Stage::Login,
            session_id: None,
            user_id: None,
            csrf: c.csrf,
            created_at: c.created_at,
            expires_at: c.expires_at,
            keeping: Keeping::Sealed(InteractionHandle::parse(handle).hash()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    fn params(scope: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("client_id".to_owned(), "web".to_owned()),
            ("scope".to_owned(), scope.to_owned()),
        ])
    }

    fn started(master: &MasterKey) -> (Interaction, Entry) {
        Interaction::start_sealed(
            Uuid::now_v7(),
            &params("openid"),
            Utc::now(),
            &OsRandom,
            master,
        )
        .unwrap_or_else(|| panic!("not sealed"))
    }

    #[test]
    fn a_sealed_handle_opens_to_its_login_page_with_its_cookie_only() {
        let master = MasterKey::generate(&OsRandom);
        let (interaction, entry) = started(&master);
        let handle = entry.handle.expose();
        assert!(handle.starts_with(PREFIX), "{handle}");
        assert!(
            handle
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "safe in a URL path and a form action: {handle}"
        );
        assert_eq!(interaction.keeping, Keeping::Sealed(entry.handle.hash()));
        assert!(!interaction.is_stored());
        let binding = entry.binding.expose();
        assert_ne!(binding, handle);
        assert_eq!(
            Interaction::open_sealed(handle, binding, &master),
            Some(interaction)
        );
        assert_eq!(
            Interaction::open_sealed(handle, "another cookie", &master),
            None
        );
        let other = MasterKey::generate(&OsRandom);
        assert_eq!(Interaction::open_sealed(handle, binding, &other), None);
        let mut altered = handle.to_owned().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap_or_default();
        assert_eq!(Interaction::open_sealed(&altered, binding, &master), None);
        let random = InteractionHandle::generate(&OsRandom);
        assert_eq!(
            Interaction::open_sealed(random.expose(), random.expose(), &master),
            None,
            "a stored interaction's handle is not a seal"
        );
        assert_eq!(Interaction::open_sealed("s1.!!", binding, &master), None);
    }

    #[test]
    fn a_request_too_large_to_carry_is_not_sealed() {
        let master = MasterKey::generate(&OsRandom);
        let large = params(&"scope ".repeat(MAX_CARRIED / 6 + 1));
        let now = Utc::now();
        assert!(
            Interaction::start_sealed(Uuid::now_v7(), &large, now, &OsRandom, &master).is_none()
        );
        let fits = params(&"scope ".repeat(MAX_CARRIED / 12));
        assert!(
            Interaction::start_sealed(Uuid::now_v7(), &fits, now, &OsRandom, &master).is_some()
        );
    }
}
