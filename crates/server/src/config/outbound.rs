//! The `[outbound]` settings: what server-side requests (back-channel logout deliveries) may reach,
//! how long they may take, and how often a failed delivery is retried.

use chrono::Duration;
use valet_core::outbox::RetryPolicy;

use super::file::FileOutbound;
use super::{ConfigError, invalid, parse_duration};
use crate::outbound::{Network, OutboundPolicy};

#[derive(Debug)]
pub struct OutboundConfig {
    pub policy: OutboundPolicy,
    pub retry: RetryPolicy,
}

/// A list of CIDR blocks: `flag` (comma-separated) replaces the file's list.
pub(super) fn networks(
    setting: &'static str,
    flag: Option<&str>,
    file: Option<&[String]>,
) -> Result<Vec<Network>, ConfigError> {
    let names: Vec<String> = match flag {
        Some(list) => list
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => file.map(<[String]>::to_vec).unwrap_or_default(),
    };
    names
        .iter()
        .map(|n| Network::parse(n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(setting, e))
}

/// `flag` is `--outbound-allow-networks` / `VALET_OUTBOUND_ALLOW_NETWORKS` (comma-separated CIDRs);
/// it replaces the file's list.
pub(super) fn outbound_config(
    file: &FileOutbound,
    flag: Option<&str>,
) -> Result<OutboundConfig, ConfigError> {
    let allow = networks(
        "outbound.allow_networks",
        flag,
        file.allow_networks.as_deref(),
    )?;
    let timeout = match &file.timeout {
        Some(text) => parse_duration(text).map_err(|e| invalid("outbound.timeout", e))?,
        None => Duration::seconds(5),
    };
    if timeout <= Duration::zero() || timeout > Duration::seconds(60) {
        return Err(invalid("outbound.timeout", "must be between 1s and 60s"));
    }
    let max_attempts = file.delivery_attempts.unwrap_or(10);
    if max_attempts == 0 {
        return Err(invalid("outbound.delivery_attempts", "must be at least 1"));
    }
    Ok(OutboundConfig {
        policy: OutboundPolicy {
            allow,
            timeout: timeout
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(5)),
            max_response_bytes: file.max_response_bytes.unwrap_or(64 * 1024),
        },
        retry: RetryPolicy {
            max_attempts,
            ..RetryPolicy::default()
        },
    })
}
