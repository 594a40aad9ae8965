//! The one typed configuration: defaults, then a TOML file, then `VALET_*` environment variables, then
//! command-line flags (each later layer wins). Loaded once in `main` and passed down.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::Duration;
use valet_core::issuer::Issuer;
use valet_core::keys::{MasterKey, RotationPolicy, SigningAlg};
use valet_core::password::Password;

use crate::cli::GlobalArgs;
use crate::outbound::Network;

#[derive(Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub issuer: Issuer,
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    pub database_max_connections: u32,
    pub master_key: MasterKeySource,
    pub admin_password: Option<Password>,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub keys: KeysConfig,
    pub tokens: TokensConfig,
    pub outbound: OutboundConfig,
    /// The built admin console's assets, served at `{issuer}/admin/`.
    pub console_dir: Option<PathBuf>,
    pub mail: MailConfig,
    pub account: AccountConfig,
    pub throttle: ThrottleConfig,
    /// The reverse proxies whose `X-Forwarded-For` names the client (`http::client_ip`).
    pub trusted_proxies: Vec<Network>,
}

/// Where the master key comes from: `VALET_MASTER_KEY`, or a file (created on first start).
#[derive(Debug)]
pub enum MasterKeySource {
    Given(MasterKey),
    File(PathBuf),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug)]
pub struct KeysConfig {
    pub algorithms: Vec<SigningAlg>,
    pub policy: RotationPolicy,
    /// How often each instance reloads keys and applies the schedule.
    pub check_interval: Duration,
}

impl KeysConfig {
    /// JWKS `max-age`: well inside the publication lead, so caches see a successor before it signs.
    pub fn jwks_max_age_secs(&self) -> i64 {
        (self.policy.lead.num_seconds() / 4).clamp(0, 3600)
    }
}

/// A database URL whose password never reaches a log line.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                f.write_str(url.as_str())
            }
            _ => f.write_str(&self.0),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Secrets that only ever come from the environment (never flags: argv is visible to every user).
#[derive(Default)]
pub struct SecretEnv {
    pub master_key: Option<String>,
    pub admin_password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is invalid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid setting `{setting}`: {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
}

fn invalid(setting: &'static str, message: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        setting,
        message: message.to_string(),
    }
}

/// A duration as `30s`, `10m`, `48h`, `90d`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30s, 10m, 48h or 90d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use s, m, h or d)"
            ));
        }
    };
    n.checked_mul(seconds)
        .map(Duration::seconds)
        .ok_or_else(|| format!("`{text}` is too long"))
}

impl Config {
    pub fn load(args: &GlobalArgs, secrets: SecretEnv) -> Result<Self, ConfigError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let keys_file = &file.keys;
        let listen_text = args
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_text
            .parse()
            .map_err(|_| invalid("listen", format!("`{listen_text}` is not an address:port")))?;
        let issuer_text = args
            .issuer
            .clone()
            .or(file.issuer)
            .unwrap_or_else(|| "http://localhost:8080".into());
        let issuer = Issuer::parse(&issuer_text).map_err(|e| invalid("issuer", e))?;
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("valet-data"));
        let database = args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| {
                format!("sqlite://{}?mode=rwc", data_dir.join("valet.db").display())
            });
        if !(database.starts_with("sqlite:")
            || database.starts_with("postgres://")
            || database.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database_url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        let master_key = match secrets.master_key {
            Some(text) => MasterKeySource::Given(
                MasterKey::parse(&text).map_err(|e| invalid("VALET_MASTER_KEY", e))?,
            ),
            None => MasterKeySource::File(
                args.master_key_file
                    .clone()
                    .or(file.master_key_file)
                    .unwrap_or_else(|| data_dir.join("master.key")),
            ),
        };
        let log_format = match args.log_format.clone().or(file.log_format).as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "log_format",
                    format!("`{other}`: use pretty or json"),
                ));
            }
        };
        let duration = |setting, flag: &Option<String>, file: &Option<String>, default: &str| {
            let text = flag
                .clone()
                .or_else(|| file.clone())
                .unwrap_or_else(|| default.to_owned());
            parse_duration(&text).map_err(|e| invalid(setting, e))
        };
        let policy = RotationPolicy {
            interval: duration(
                "keys.rotation_interval",
                &args.key_rotation_interval,
                &keys_file.rotation_interval,
                "90d",
            )?,
            lead: duration(
                "keys.publish_lead",
                &args.key_publish_lead,
                &keys_file.publish_lead,
                "2d",
            )?,
            retention: duration(
                "keys.retention",
                &args.key_retention,
                &keys_file.retention,
                "1d",
            )?,
        };
        let check_interval = duration(
            "keys.check_interval",
            &None,
            &keys_file.check_interval,
            "5m",
        )?;
        let algorithms = key_algorithms(
            args.key_algorithms.as_deref(),
            keys_file.algorithms.as_deref(),
        )?;
        let keys = KeysConfig {
            algorithms,
            policy,
            check_interval,
        };
        check_key_timing(&keys)?;
        let tokens = tokens_config(&file.tokens, &keys)?;
        let outbound = outbound_config(&file.outbound, args.outbound_allow_networks.as_deref())?;
        let mail = mail_config(&file.mail, args.mail_url.as_deref(), &data_dir, &issuer)?;
        let account = account_config(&file.account, args.self_registration)?;
        let throttle = throttle_config(&file.throttle)?;
        let trusted_proxies = networks(
            "trusted_proxies",
            args.trusted_proxies.as_deref(),
            file.trusted_proxies.as_deref(),
        )?;
        Ok(Self {
            listen,
            issuer,
            data_dir,
            database: DatabaseUrl(database),
            database_max_connections: file.database_max_connections.unwrap_or(10).max(1),
            master_key,
            admin_password: secrets.admin_password.map(Password::new),
            log_format,
            log_filter: args
                .log_level
                .clone()
                .or(file.log_level)
                .unwrap_or_else(|| "info".into()),
            keys,
            tokens,
            outbound,
            console_dir: args.console_dir.clone().or(file.console_dir),
            mail,
            account,
            throttle,
            trusted_proxies,
        })
    }
}

fn key_algorithms(
    flag: Option<&str>,
    file: Option<&[String]>,
) -> Result<Vec<SigningAlg>, ConfigError> {
    let names: Vec<String> = match (flag, file) {
        (Some(list), _) => list.split(',').map(|s| s.trim().to_owned()).collect(),
        (None, Some(list)) => list.to_vec(),
        (None, None) => return Ok(SigningAlg::ALL.to_vec()),
    };
    let mut algs: Vec<SigningAlg> = names
        .iter()
        .map(|n| n.parse())
        .collect::<Result<_, _>>()
        .map_err(|e| invalid("keys.algorithms", e))?;
    algs.sort();
    algs.dedup();
    if !algs.contains(&SigningAlg::Rs256) {
        return Err(invalid(
            "keys.algorithms",
            "must include RS256, which every OpenID provider supports (OIDC Core §15.1)",
        ));
    }
    Ok(algs)
}

fn check_key_timing(keys: &KeysConfig) -> Result<(), ConfigError> {
    let p = &keys.policy;
    if p.interval <= Duration::zero()
        || p.retention <= Duration::zero()
        || keys.check_interval <= Duration::zero()
    {
        return Err(invalid(
            "keys",
            "rotation_interval, retention and check_interval must be positive",
        ));
    }
    if p.lead >= p.interval {
        return Err(invalid(
            "keys.publish_lead",
            "must be shorter than keys.rotation_interval",
        ));
    }
    if keys.check_interval * 2 > p.lead {
        return Err(invalid(
            "keys.check_interval",
            "must be at most half of keys.publish_lead, so every instance sees a successor before it signs",
        ));
    }
    Ok(())
}

mod account;
mod file;
mod outbound;
mod tokens;

pub use account::{AccountConfig, MailConfig, MailUrl, ThrottleConfig};
use account::{account_config, mail_config, throttle_config};
use file::{FileConfig, read_file};
pub use outbound::OutboundConfig;
use outbound::{networks, outbound_config};
pub use tokens::TokensConfig;
use tokens::tokens_config;

#[cfg(test)]
mod tests;
