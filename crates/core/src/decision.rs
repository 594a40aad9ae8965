//! What the authorization endpoint does with a valid request: ask the user to log in, ask for consent, or
//! issue a code (OIDC Core §3.1.2.3, §3.1.2.4; `prompt`, `max_age`, `id_token_hint` of §3.1.2.1).
//!
//! Multi-factor authentication is required when the request's essential `acr` claim (or, without
//! one, its `acr_values`, or without any, the client's registered `default_acr_values`) asks for `2`
//! and does not also accept `1`, and always for a client whose `default_acr_values` are `2` alone: a
//! request, which anyone can write for any client, may raise the client's level but not lower it. A
//! session whose `acr` is lower is then re-authenticated, and the login step asks for the second
//! factor.
//!
//! With `prompt=none` nothing may be shown, so every "ask" becomes the matching error, sent to the client.

use chrono::{DateTime, Utc};

use crate::account::methods;
use crate::authorize::{AuthorizationRequest, Prompt};
use crate::client::Client;
use crate::grant::Grant;
use crate::oauth_error::OAuthErrorCode;
use crate::session::Session;
use crate::user::User;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Login,
    Consent,
    Issue,
    /// Only with `prompt=none`: the interaction that would have been needed, as an error.
    Refuse(OAuthErrorCode, &'static str),
}

/// What is known about the browser and the user when deciding.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The browser's SSO session, when active and its user still enabled.
    pub session: Option<(&'a Session, &'a User)>,
    /// The user's live grant to this client.
    pub grant: Option<&'a Grant>,
    /// `sub` of a verified `id_token_hint`.
    pub hinted_subject: Option<&'a str>,
    /// The user authenticated during this very request (so `prompt=login` and `max_age` are satisfied).
    pub just_logged_in: bool,
    /// The user answered the consent page during this very request.
    pub just_consented: bool,
}

pub fn decide(
    request: &AuthorizationRequest,
    client: &Client,
    ctx: Context<'_>,
    now: DateTime<Utc>,
) -> Decision {
    let silent = request.has_prompt(Prompt::None);
    let ask = |needed: Decision, error: OAuthErrorCode, why: &'static str| {
        if silent {
            Decision::Refuse(error, why)
        } else {
            needed
        }
    };
    let Some((session, user)) = ctx.session else {
        return ask(
            Decision::Login,
            OAuthErrorCode::LoginRequired,
            "the user is not logged in",
        );
    };
    if let Some(hinted) = ctx.hinted_subject
        && hinted != user.id.to_string()
        && !ctx.just_logged_in
    {
        return ask(
            Decision::Login,
            OAuthErrorCode::LoginRequired,
            "the logged-in user is not the one id_token_hint names",
        );
    }
    if requires_mfa(request, client) && session.acr.as_deref() != Some(methods::ACR_MFA) {
        return ask(
            Decision::Login,
            OAuthErrorCode::LoginRequired,
            "the application requires multi-factor authentication",
        );
    }
    if !ctx.just_logged_in {
        if request.has_prompt(Prompt::Login) || request.has_prompt(Prompt::SelectAccount) {
            return Decision::Login;
        }
        // The client's registered default applies when the request names none (OIDC Registration §2).
        let max_age = request.max_age.or(client
            .metadata
            .default_max_age
            .map(chrono::Duration::seconds));
        if let Some(max_age) = max_age
            && !session.authenticated_within(max_age, now)
        {
            return ask(
                Decision::Login,
                OAuthErrorCode::LoginRequired,
                "the last login is older than max_age",
            );
        }
    }
    let covered =
        client.metadata.first_party || ctx.grant.is_some_and(|g| g.covers(&request.scopes));
    let forced = request.has_prompt(Prompt::Consent);
    if !ctx.just_consented && (forced || !covered) {
        return ask(
            Decision::Consent,
            OAuthErrorCode::ConsentRequired,
            "the user has not consented to these scopes",
        );
    }
    Decision::Issue
}

/// Whether only a multi-factor authentication satisfies the request: an essential `acr` in the
/// `claims` parameter's `id_token` member (OIDC Core §5.5.1.1, whose `value` or `values` then bind,
/// as far as they name levels Valet knows), else `acr_values` (§3.1.2.1), else the client's
/// registered `default_acr_values` (OIDC Registration §2). Unknown values never lower the level, and
/// neither does a request to a client that requires MFA (`client_requires_mfa`): Registration lets
/// a request override the defaults, but the request is not the client's to vouch for.
pub fn requires_mfa(request: &AuthorizationRequest, client: &Client) -> bool {
    if client_requires_mfa(client) {
        return true;
    }
    let known = |v: &&str| [methods::ACR_SINGLE, methods::ACR_MFA].contains(v);
    let essential: Vec<&str> = request
        .claims
        .as_ref()
        .and_then(|claims| claims.id_token.get("acr"))
        .filter(|acr| acr.essential)
        .map(|acr| {
            acr.value
                .iter()
                .chain(acr.values.iter().flatten())
                .filter_map(|v| v.as_str())
                .filter(known)
                .collect()
        })
        .unwrap_or_default();
    let asked: Vec<&str> = if !essential.is_empty() {
        essential
    } else if !request.acr_values.is_empty() {
        request.acr_values.iter().map(String::as_str).collect()
    } else {
        client
            .metadata
            .default_acr_values
            .iter()
            .map(String::as_str)
            .collect()
    };
    only_mfa(&asked)
}

/// The client accepts nothing less than multi-factor authentication: its registered
/// `default_acr_values` ask for `2` and not `1`.
pub fn client_requires_mfa(client: &Client) -> bool {
    let defaults: Vec<&str> = client
        .metadata
        .default_acr_values
        .iter()
        .map(String::as_str)
        .collect();
    only_mfa(&defaults)
}

fn only_mfa(levels: &[&str]) -> bool {
    levels.contains(&methods::ACR_MFA) && !levels.contains(&methods::ACR_SINGLE)
}

#[cfg(test)]
mod tests;
