//! The TOML file layer of the configuration: every member optional, unknown members refused.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;

/// The file layer: every member optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileConfig {
    pub(super) listen: Option<String>,
    pub(super) issuer: Option<String>,
    pub(super) data_dir: Option<PathBuf>,
    pub(super) database_url: Option<String>,
    pub(super) database_max_connections: Option<u32>,
    pub(super) master_key_file: Option<PathBuf>,
    pub(super) log_format: Option<String>,
    pub(super) log_level: Option<String>,
    pub(super) console_dir: Option<PathBuf>,
    pub(super) trusted_proxies: Option<Vec<String>>,
    #[serde(default)]
    pub(super) keys: FileKeys,
    #[serde(default)]
    pub(super) tokens: FileTokens,
    #[serde(default)]
    pub(super) outbound: FileOutbound,
    #[serde(default)]
    pub(super) mail: FileMail,
    #[serde(default)]
    pub(super) account: FileAccount,
    #[serde(default)]
    pub(super) throttle: FileThrottle,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileMail {
    pub(super) url: Option<String>,
    pub(super) from: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileAccount {
    pub(super) self_registration: Option<bool>,
    pub(super) password_min_length: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileThrottle {
    pub(super) account_free_failures: Option<u32>,
    pub(super) ip_free_failures: Option<u32>,
    pub(super) first_block: Option<String>,
    pub(super) max_block: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileOutbound {
    pub(super) allow_networks: Option<Vec<String>>,
    pub(super) timeout: Option<String>,
    pub(super) max_response_bytes: Option<usize>,
    pub(super) delivery_attempts: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileTokens {
    pub(super) code_ttl: Option<String>,
    pub(super) access_token_ttl: Option<String>,
    pub(super) id_token_ttl: Option<String>,
    pub(super) refresh_token_ttl: Option<String>,
    pub(super) refresh_token_idle_ttl: Option<String>,
    pub(super) access_token_alg: Option<String>,
    pub(super) session_ttl: Option<String>,
    pub(super) password_grant: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileKeys {
    pub(super) algorithms: Option<Vec<String>>,
    pub(super) rotation_interval: Option<String>,
    pub(super) publish_lead: Option<String>,
    pub(super) retention: Option<String>,
    pub(super) check_interval: Option<String>,
}

pub(super) fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}
