//! The browser cookies: the SSO session, the binding of a pending interaction to the browser that
//! started it (a leaked interaction URL is useless elsewhere), the account pages' sign-in state,
//! and the device cookie of a browser whose owner signed in before (`throttle::device`). HttpOnly, SameSite=Lax, Secure and `__Secure-` prefixed when the issuer is https, scoped
//! to the issuer's path.

use actix_web::HttpRequest;
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};

use crate::config::Config;

pub struct CookieNames {
    pub session: &'static str,
    pub interaction: &'static str,
    /// The `state` of the account pages' own sign-in, checked when it returns (login CSRF).
    pub account_state: &'static str,
    /// A browser where a password sign-in succeeded: its guesses are counted apart (throttle).
    pub device: &'static str,
}

pub fn names(config: &Config) -> CookieNames {
    if config.issuer.is_https() {
        CookieNames {
            session: "__Secure-valet_session",
            interaction: "__Secure-valet_interaction",
            account_state: "__Secure-valet_account_state",
            device: "__Secure-valet_device",
        }
    } else {
        CookieNames {
            session: "valet_session",
            interaction: "valet_interaction",
            account_state: "valet_account_state",
            device: "valet_device",
        }
    }
}

fn path(config: &Config) -> String {
    match config.issuer.path() {
        "" => "/".to_owned(),
        path => path.to_owned(),
    }
}

fn build(
    config: &Config,
    name: &'static str,
    value: String,
    max_age: CookieDuration,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(path(config))
        .http_only(true)
        .secure(config.issuer.is_https())
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .finish()
}

pub fn session(config: &Config, token: &str) -> Cookie<'static> {
    let secs = config.tokens.session_ttl.num_seconds();
    build(
        config,
        names(config).session,
        token.to_owned(),
        CookieDuration::seconds(secs),
    )
}

/// The cookie that binds an interaction to this browser: its handle, or the value a sealed handle
/// was bound to (`valet_core::interaction::Entry`).
pub fn interaction(config: &Config, binding: &str) -> Cookie<'static> {
    let secs = valet_core::interaction::INTERACTION_TTL.num_seconds();
    build(
        config,
        names(config).interaction,
        binding.to_owned(),
        CookieDuration::seconds(secs),
    )
}

pub fn account_state(config: &Config, state: &str) -> Cookie<'static> {
    let secs = valet_core::interaction::INTERACTION_TTL.num_seconds();
    build(
        config,
        names(config).account_state,
        state.to_owned(),
        CookieDuration::seconds(secs),
    )
}

pub fn device(config: &Config, value: String, max_age: chrono::Duration) -> Cookie<'static> {
    let secs = max_age.num_seconds();
    build(
        config,
        names(config).device,
        value,
        CookieDuration::seconds(secs),
    )
}

pub fn expired(config: &Config, name: &'static str) -> Cookie<'static> {
    build(config, name, String::new(), CookieDuration::ZERO)
}

pub fn read(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}
