//! The `valet` command line (clap). Every flag also reads a `VALET_*` environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Valet, an OpenID Connect provider.
///
/// With no configuration at all, `valet serve` listens on 127.0.0.1:8080 with issuer
/// http://localhost:8080, keeps its SQLite database and master key file under ./valet-data, and creates
/// signing keys and a first administrator (password printed once) on first start.
///
/// Secrets come only from the environment: VALET_MASTER_KEY (32 bytes, base64) and
/// VALET_ADMIN_PASSWORD (first administrator's password).
#[derive(Debug, Parser)]
#[command(name = "valet", version, args_override_self = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// TOML configuration file (flags and environment variables override it).
    #[arg(long, global = true, env = "VALET_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, global = true, env = "VALET_LISTEN")]
    pub listen: Option<String>,
    /// Issuer URL; every endpoint lives below it [default: http://localhost:8080].
    #[arg(long, global = true, env = "VALET_ISSUER")]
    pub issuer: Option<String>,
    /// Directory for the SQLite database and the master key file [default: ./valet-data].
    #[arg(long, global = true, env = "VALET_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database: sqlite://PATH?mode=rwc or postgres://USER@HOST/DB [default: SQLite in the data directory].
    #[arg(long, global = true, env = "VALET_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Master key file, created (mode 0600) on first start when VALET_MASTER_KEY is not set
    /// [default: DATA_DIR/master.key].
    #[arg(long, global = true, env = "VALET_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Log format: pretty or json [default: pretty].
    #[arg(long, global = true, env = "VALET_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Log filter, e.g. info or valet_server=debug,info [default: info].
    #[arg(long, global = true, env = "VALET_LOG")]
    pub log_level: Option<String>,
    /// Signing algorithms, comma-separated; RS256 is required [default: RS256,PS256,ES256,EdDSA].
    #[arg(long, global = true, env = "VALET_KEY_ALGORITHMS")]
    pub key_algorithms: Option<String>,
    /// How long a key signs before its successor takes over, e.g. 90d [default: 90d].
    #[arg(long, global = true, env = "VALET_KEY_ROTATION_INTERVAL")]
    pub key_rotation_interval: Option<String>,
    /// How long a new key is published before it signs [default: 2d].
    #[arg(long, global = true, env = "VALET_KEY_PUBLISH_LEAD")]
    pub key_publish_lead: Option<String>,
    /// How long a retired key stays published: at least the longest token lifetime [default: 1d].
    #[arg(long, global = true, env = "VALET_KEY_RETENTION")]
    pub key_retention: Option<String>,
    /// Networks (comma-separated CIDRs) that server-side requests such as back-channel logout may
    /// reach although they are loopback, private or special-use; e.g. 127.0.0.0/8 for local testing
    /// [default: none].
    #[arg(long, global = true, env = "VALET_OUTBOUND_ALLOW_NETWORKS")]
    pub outbound_allow_networks: Option<String>,
    /// Reverse proxies (comma-separated CIDRs) whose X-Forwarded-For is believed: behind them the
    /// client's address (for throttling and the session list) is the last one they did not add
    /// [default: none: the TCP peer is the client].
    #[arg(long, global = true, env = "VALET_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Directory of the built admin console (`scripts/build-console` prints it); served at
    /// ISSUER/admin/ [default: none: /admin/ explains how to build it].
    #[arg(long, global = true, env = "VALET_CONSOLE_DIR")]
    pub console_dir: Option<PathBuf>,
    /// Where mail goes: smtp://user:password@host:587 (STARTTLS), smtps://host:465 (TLS),
    /// smtp://host:25?tls=none, or file:///dir (one .eml file per message)
    /// [default: file://DATA_DIR/mail].
    #[arg(long, global = true, env = "VALET_MAIL_URL", hide_env_values = true)]
    pub mail_url: Option<String>,
    /// Let anyone create an account at ISSUER/account/register from an email address; it stays
    /// disabled until the mailed link is opened and a password chosen there [default: off].
    #[arg(long, global = true, env = "VALET_SELF_REGISTRATION")]
    pub self_registration: bool,
    /// Do not apply pending database migrations first (every command applies them by default).
    #[arg(long, global = true, env = "VALET_NO_MIGRATE")]
    pub no_migrate: bool,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Apply this provisioning file at start (see `valet provision --help`).
        #[arg(long, env = "VALET_PROVISION")]
        provision: Option<PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Apply a provisioning file (TOML: [[clients]] and [[users]]) idempotently, in one transaction.
    Provision {
        /// The provisioning file.
        file: PathBuf,
    },
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Clients (relying parties and resource servers).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Grants: what a user let a client do. Revoking one revokes everything issued under it.
    #[command(subcommand)]
    Grant(GrantCommand),
    /// The outbox of deliveries to relying parties (back-channel logout tokens).
    #[command(subcommand)]
    Outbox(OutboxCommand),
}

#[derive(Debug, Subcommand)]
pub enum GrantCommand {
    /// List grants, newest first.
    List {
        /// Only this user's grants (username).
        #[arg(long)]
        user: Option<String>,
        /// Only grants to this client (client_id).
        #[arg(long)]
        client: Option<String>,
        /// Include revoked grants.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Revoke grants and everything issued under them: codes and refresh tokens die, access tokens stop
    /// passing introspection and userinfo, and relying parties with a back-channel logout URI are sent a
    /// logout token (by the running server, from the outbox).
    #[command(group(clap::ArgGroup::new("which").required(true).multiple(true).args(["grant", "user", "client"])))]
    Revoke {
        /// One grant, by id.
        #[arg(long, conflicts_with_all = ["user", "client"])]
        grant: Option<uuid::Uuid>,
        /// Every grant of this user (username); with --client, only the grant to that client.
        #[arg(long)]
        user: Option<String>,
        /// Every grant to this client (client_id).
        #[arg(long)]
        client: Option<String>,
        /// Why, for the audit log.
        #[arg(long, default_value = "revoked by an administrator")]
        reason: String,
        /// Count what would be revoked, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List deliveries, newest first, with their status and attempts.
    List {
        /// pending, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List keys with their state (next, active, retiring, retired) and schedule.
    List,
    /// Publish successors now; they sign after the publication lead time.
    Rotate {
        /// Switch at once (a compromised key): tokens signed by the new keys may fail for relying parties
        /// that cached the JWKS.
        #[arg(long)]
        immediately: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from stdin with --password-stdin, otherwise generated and printed.
    Add {
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// A role; repeat for several (e.g. --role admin).
        #[arg(long = "role")]
        roles: Vec<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (from stdin with --password-stdin, otherwise generated and printed).
    SetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user: they can no longer log in, and every grant and session of theirs is revoked.
    Disable { username: String },
    /// Turn off a user's two-step verification (authenticator and recovery codes), e.g. after they
    /// lost both; audited. They can enrol again on their account page. A user with an email address
    /// is told by mail, sent by a running `valet serve`.
    ResetMfa { username: String },
    /// List users.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; a confidential client's secret is generated and printed once.
    Add {
        client_id: String,
        /// Display name shown on the consent page.
        #[arg(long)]
        name: String,
        /// A redirect URI; repeat for several.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A grant type; repeat for several [default: authorization_code].
        #[arg(long = "grant-type")]
        grant_types: Vec<String>,
        /// Public client (no secret, PKCE required), e.g. a single-page or native app.
        #[arg(long)]
        public: bool,
        /// First-party client: users are not asked for consent.
        #[arg(long)]
        first_party: bool,
    },
    /// List clients.
    List,
    /// Disable a client: it can no longer authenticate, and every grant to it is revoked.
    Disable { client_id: String },
    /// Enable a disabled client again (its revoked grants stay revoked).
    Enable { client_id: String },
    /// Generate a new secret and print it once; the old one stays valid for --overlap (e.g. 1h, 0 for none).
    RotateSecret {
        client_id: String,
        #[arg(long, default_value = "0")]
        overlap: String,
    },
}
