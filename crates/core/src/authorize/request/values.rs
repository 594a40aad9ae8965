//! The values of single parameters of the authorization request: OIDC Core §3.1.2.1 (`scope`, `prompt`,
//! `max_age`, `nonce`, `display`, `ui_locales`, `claims_locales`, `acr_values`), RFC 6749 §3.3 and
//! §4.1.1 (`scope`, `state`), OIDC Core §5.5 (`claims`).

use std::collections::BTreeSet;

use chrono::Duration;

use super::rules::{Rejection, Rule};
use super::{Display, Prompt};
use crate::authorize::ClaimsRequest;
use crate::client::Client;
use crate::oauth_error::OAuthErrorCode;

const MAX_NONCE_CHARS: usize = 512;
const MAX_STATE_CHARS: usize = 2048;
/// Any longer `max_age` means the same (no session is that old), and keeping it far below chrono's
/// limits lets callers compute `now - max_age` without overflow.
const MAX_AGE_CEILING_SECS: i64 = 100 * 366 * 24 * 3600;

/// RFC 6749 §3.3 and OIDC Core §3.1.2.1: scopes the client may not have are dropped silently (unknown
/// scope values SHOULD be ignored), but a request left with none is `invalid_scope`.
pub(super) fn allowed_scopes(raw: Option<&str>, client: &Client) -> Rule<Vec<String>> {
    let raw = raw.ok_or_else(|| Rejection::invalid_request("scope is required"))?;
    let mut seen = BTreeSet::new();
    let scopes: Vec<String> = raw
        .split(' ')
        .filter(|scope| !scope.is_empty() && seen.insert(*scope))
        .filter(|scope| {
            client
                .metadata
                .scopes
                .iter()
                .any(|allowed| allowed == scope)
        })
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(Rejection::new(
            OAuthErrorCode::InvalidScope,
            "none of the requested scopes is allowed for this client",
        ));
    }
    Ok(scopes)
}

/// OIDC Core §3.1.2.1: unknown values are ignored, but `none` must stand alone ("if this parameter
/// contains none with any other value, an error is returned"), known or not.
pub(super) fn parse_prompt(raw: Option<&str>) -> Rule<Vec<Prompt>> {
    let words: BTreeSet<&str> = raw
        .unwrap_or_default()
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect();
    if words.contains(Prompt::None.as_str()) && words.len() > 1 {
        return Err(Rejection::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    let mut prompts: Vec<Prompt> = words.iter().filter_map(|w| w.parse().ok()).collect();
    prompts.sort();
    Ok(prompts)
}

/// OIDC Core §3.1.2.1 `max_age`: seconds, a non-negative integer.
pub(super) fn parse_max_age(raw: Option<&str>) -> Rule<Option<Duration>> {
    let Some(raw) = raw else { return Ok(None) };
    let invalid =
        || Rejection::invalid_request("max_age must be a non-negative integer of seconds");
    if !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    // All digits: the only parse failure left is overflow, which is "very long" rather than invalid.
    let secs = raw
        .parse::<i64>()
        .unwrap_or(i64::MAX)
        .min(MAX_AGE_CEILING_SECS);
    Duration::try_seconds(secs).map(Some).ok_or_else(invalid)
}

pub(super) fn check_nonce(raw: Option<&str>) -> Rule<Option<String>> {
    match raw {
        Some(nonce) if nonce.chars().count() > MAX_NONCE_CHARS => Err(Rejection::invalid_request(
            format!("nonce must be at most {MAX_NONCE_CHARS} characters"),
        )),
        _ => Ok(raw.map(str::to_owned)),
    }
}

pub(super) fn check_state_length(state: Option<&str>) -> Rule<()> {
    match state {
        Some(state) if state.chars().count() > MAX_STATE_CHARS => Err(Rejection::invalid_request(
            format!("state must be at most {MAX_STATE_CHARS} characters"),
        )),
        _ => Ok(()),
    }
}

/// Space-separated lists (`ui_locales`, `claims_locales`, `acr_values`), in request order.
pub(super) fn words(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) fn parse_display(raw: Option<&str>) -> Rule<Option<Display>> {
    raw.map(str::parse)
        .transpose()
        .map_err(|_| Rejection::invalid_request("display must be page, popup, touch or wap"))
}

/// OIDC Core §5.5.
pub(super) fn parse_claims(raw: Option<&str>) -> Rule<Option<ClaimsRequest>> {
    raw.map(ClaimsRequest::parse)
        .transpose()
        .map_err(|e| Rejection::invalid_request(e.to_string()))
}
