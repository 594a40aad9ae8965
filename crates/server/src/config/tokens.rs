//! The `[tokens]` settings: token lifetimes and formats, the SSO session lifetime, and whether the
//! legacy password grant is served.

use chrono::Duration;
use valet_core::keys::SigningAlg;
use valet_core::token::{Lifetimes, TokenPolicy};

use super::file::FileTokens;
use super::{ConfigError, KeysConfig, invalid, parse_duration};

/// Token lifetimes and formats, and how long an SSO session lasts.
#[derive(Debug)]
pub struct TokensConfig {
    pub policy: TokenPolicy,
    /// Algorithm of JWT access tokens (RFC 9068); clients may override.
    pub access_token_alg: SigningAlg,
    pub session_ttl: Duration,
    /// Whether the resource owner password grant (RFC 6749 §4.3) is served and advertised, for
    /// clients that also registered it; off by default (RFC 9700 §2.4).
    pub password_grant: bool,
}

pub(super) fn tokens_config(
    file: &FileTokens,
    keys: &KeysConfig,
) -> Result<TokensConfig, ConfigError> {
    let defaults = Lifetimes::default();
    let ttl = |setting, value: &Option<String>, default: Duration| match value {
        Some(text) => parse_duration(text)
            .map_err(|e| invalid(setting, e))
            .and_then(|d| {
                if d > Duration::zero() {
                    Ok(d)
                } else {
                    Err(invalid(setting, "must be positive"))
                }
            }),
        None => Ok(default),
    };
    let lifetimes = Lifetimes {
        code: ttl("tokens.code_ttl", &file.code_ttl, defaults.code)?,
        access_token: ttl(
            "tokens.access_token_ttl",
            &file.access_token_ttl,
            defaults.access_token,
        )?,
        id_token: ttl("tokens.id_token_ttl", &file.id_token_ttl, defaults.id_token)?,
        refresh_token: ttl(
            "tokens.refresh_token_ttl",
            &file.refresh_token_ttl,
            defaults.refresh_token,
        )?,
        refresh_token_idle: file
            .refresh_token_idle_ttl
            .as_ref()
            .map(|t| {
                ttl(
                    "tokens.refresh_token_idle_ttl",
                    &Some(t.clone()),
                    Duration::zero(),
                )
            })
            .transpose()?,
    };
    for (setting, signed) in [
        ("tokens.access_token_ttl", lifetimes.access_token),
        ("tokens.id_token_ttl", lifetimes.id_token),
    ] {
        if signed > keys.policy.retention {
            return Err(invalid(
                setting,
                "must not exceed keys.retention: a token may not outlive the key that verifies it",
            ));
        }
    }
    let access_token_alg = match &file.access_token_alg {
        Some(name) => name
            .parse()
            .map_err(|e| invalid("tokens.access_token_alg", e))?,
        None if keys.algorithms.contains(&SigningAlg::Es256) => SigningAlg::Es256,
        None => SigningAlg::Rs256,
    };
    if !keys.algorithms.contains(&access_token_alg) {
        return Err(invalid(
            "tokens.access_token_alg",
            "must be one of keys.algorithms",
        ));
    }
    Ok(TokensConfig {
        policy: TokenPolicy {
            defaults: lifetimes,
            max_signed: keys.policy.retention,
        },
        access_token_alg,
        session_ttl: ttl("tokens.session_ttl", &file.session_ttl, Duration::days(14))?,
        password_grant: file.password_grant.unwrap_or(false),
    })
}
