//! Everything `serve` does before accepting requests, in an order that leaves nothing half-done: bind
//! the port, connect and migrate the database, resolve the master key (created only for an empty key
//! table), load or generate the signing keys, create the first administrator.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;

use valet_core::admin::ADMIN_SCOPE;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::client::ClientId;
use valet_core::clock::Clock;
use valet_core::keys::{KeyContext, KeyError, KeyRing, MasterKey, load_ring};
use valet_core::password::{Password, PasswordHash};
use valet_core::ports::{AdminStore, ClientStore, KeyStore, StoreError, UserStore};
use valet_core::provision::{ClientEntry, ProvisionError, client_from_spec};
use valet_core::random::{OsRandom, Random, opaque_token};
use valet_core::user::{ADMIN_ROLE, User, Username};
use valet_store::Database;

use crate::config::{Config, MasterKeySource};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the database {url}: {message}")]
    Database { url: String, message: String },
    #[error("{0}")]
    MasterKey(String),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
}

pub fn bind(config: &Config) -> Result<TcpListener, StartupError> {
    TcpListener::bind(config.listen).map_err(|source| StartupError::Listen {
        addr: config.listen,
        source,
    })
}

/// Connects (creating the SQLite file's directory when needed) and, when asked, migrates.
pub async fn open_database(config: &Config, migrate: bool) -> Result<Database, StartupError> {
    let url = &config.database;
    if let Some(dir) = sqlite_dir(url.expose()) {
        create_private_dir(dir)?;
    }
    let fail = |e: StoreError| StartupError::Database {
        url: url.to_string(),
        message: e.to_string(),
    };
    let db = Database::connect(url.expose(), config.database_max_connections)
        .await
        .map_err(fail)?;
    if migrate {
        db.migrate().await.map_err(fail)?;
    }
    Ok(db)
}

fn sqlite_dir(url: &str) -> Option<&Path> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
}

fn create_private_dir(dir: &Path) -> Result<(), StartupError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| {
            StartupError::Io(format!(
                "cannot create the directory {}: {e}",
                dir.display()
            ))
        })
}

/// The master key from the environment, or from its file; the file is created only while the key table
/// is empty, so a lost file is reported instead of silently replaced.
pub async fn master_key(config: &Config, db: &Database) -> Result<MasterKey, StartupError> {
    if let Some(key) = existing_master_key(config)? {
        return Ok(key);
    }
    let MasterKeySource::File(path) = &config.master_key else {
        return Err(StartupError::MasterKey(
            "no master key is configured".into(),
        ));
    };
    if !db.list_keys().await?.is_empty() {
        return Err(StartupError::MasterKey(format!(
            "the database holds signing keys but the master key file {} does not exist: restore it or set VALET_MASTER_KEY",
            path.display()
        )));
    }
    let key = MasterKey::generate(&OsRandom);
    write_new_secret_file(path, &key.to_text())?;
    tracing::info!(path = %path.display(), "created the master key file");
    Ok(key)
}

/// The master key when one exists already (given, or its file present); never creates one. For
/// commands that need it only to seal client secrets, so they cannot mint a key `serve` would not use.
pub fn existing_master_key(config: &Config) -> Result<Option<MasterKey>, StartupError> {
    let path = match &config.master_key {
        MasterKeySource::Given(key) => return Ok(Some(key.clone())),
        MasterKeySource::File(path) => path,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => MasterKey::parse(&text).map(Some).map_err(|e| {
            StartupError::MasterKey(format!(
                "the master key file {} is unusable: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StartupError::MasterKey(format!(
            "cannot read the master key file {}: {e}",
            path.display()
        ))),
    }
}

fn write_new_secret_file(path: &Path, text: &str) -> Result<(), StartupError> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let io = |e: std::io::Error| StartupError::Io(format!("cannot write {}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(format!("{text}\n").as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

pub async fn key_ring(
    config: &Config,
    db: &Database,
    master: &MasterKey,
    clock: &dyn Clock,
) -> Result<KeyRing, StartupError> {
    let ctx = KeyContext {
        master,
        random: &OsRandom,
        policy: &config.keys.policy,
        algs: &config.keys.algorithms,
    };
    Ok(load_ring(db, &ctx, clock.now()).await?)
}

/// A first administrator when none exists. Returns the generated password, to be shown once.
pub async fn bootstrap_admin(
    config: &Config,
    db: &Database,
    clock: &dyn Clock,
) -> Result<Option<AdminCreated>, StartupError> {
    if db.has_user_with_role(ADMIN_ROLE).await? {
        return Ok(None);
    }
    let username = Username::parse("admin").map_err(|e| StartupError::Io(e.to_string()))?;
    if db.find_user(&username).await?.is_some() {
        // Someone took the role away from `admin`: say so rather than fail on the duplicate name.
        tracing::warn!(
            "no user has the admin role; give it back with `valet user add` or a provisioning file"
        );
        return Ok(None);
    }
    let (password, generated) = match &config.admin_password {
        Some(pw) => (pw.clone(), false),
        None => (generate_password(&OsRandom), true),
    };
    let hash = hash_password(password.clone()).await?;
    let now = clock.now();
    let user = User {
        id: uuid::Uuid::now_v7(),
        username: username.clone(),
        password_hash: Some(hash),
        disabled: false,
        claims: Default::default(),
        roles: [ADMIN_ROLE.to_owned()].into(),
        created_at: now,
        updated_at: now,
        second_factor: false,
    };
    let event =
        AuditEvent::new(now, Actor::system(), "user.created").target("user", user.id.to_string());
    db.insert_user(&user, &event).await?;
    Ok(Some(AdminCreated {
        username,
        password: generated.then_some(password),
    }))
}

/// The admin console's OAuth client: public (code + PKCE), first-party, allowed the admin scope.
pub const CONSOLE_CLIENT_ID: &str = "valet-console";
/// The account pages' client: they sign the user in through the authorization endpoint like any
/// application, so login, second factor, throttling and SSO are the same everywhere.
pub const ACCOUNT_CLIENT_ID: &str = "valet-account";

/// Registers Valet's own clients (console, account pages), or brings them in line with the current
/// issuer; idempotent.
pub async fn bootstrap_own_clients(
    config: &Config,
    db: &Database,
    clock: &dyn Clock,
) -> Result<(), StartupError> {
    let home = config.issuer.endpoint("admin/");
    let console = ClientEntry {
        client_id: CONSOLE_CLIENT_ID.into(),
        client_name: "Valet admin console".into(),
        token_endpoint_auth_method: Some("none".into()),
        redirect_uris: vec![home.clone()],
        post_logout_redirect_uris: vec![home],
        grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
        scope: Some(format!("openid {ADMIN_SCOPE}")),
        first_party: true,
        always_issue_refresh_token: true,
        ..Default::default()
    };
    let account = ClientEntry {
        client_id: ACCOUNT_CLIENT_ID.into(),
        client_name: "Your account".into(),
        token_endpoint_auth_method: Some("none".into()),
        redirect_uris: vec![config.issuer.endpoint("account/callback")],
        post_logout_redirect_uris: vec![config.issuer.endpoint("account")],
        grant_types: Some(vec!["authorization_code".into()]),
        scope: Some("openid".into()),
        first_party: true,
        ..Default::default()
    };
    for entry in [console, account] {
        ensure_client(db, clock, entry).await?;
    }
    Ok(())
}

async fn ensure_client(
    db: &Database,
    clock: &dyn Clock,
    entry: ClientEntry,
) -> Result<(), StartupError> {
    let client_id = entry.client_id.clone();
    let invalid = |e: ProvisionError| StartupError::Io(format!("the client {client_id}: {e}"));
    let spec = entry.validate(0).map_err(invalid)?;
    let id = ClientId::parse(&client_id).map_err(|e| StartupError::Io(e.to_string()))?;
    let existing = db.find_client(&id).await?;
    let now = clock.now();
    let Some(client) = client_from_spec(spec, existing.as_ref(), now, None).map_err(invalid)?
    else {
        return Ok(());
    };
    let event = AuditEvent::new(
        now,
        Actor::system(),
        if existing.is_some() {
            "client.updated"
        } else {
            "client.created"
        },
    )
    .target("client", client_id.as_str());
    match existing {
        Some(_) => db.update_client(&client, &event).await?,
        None => db.insert_client(&client, &event).await?,
    }
    Ok(())
}

pub struct AdminCreated {
    pub username: Username,
    /// Present when Valet generated it (not taken from VALET_ADMIN_PASSWORD).
    pub password: Option<Password>,
}

/// A generated password: 120 random bits, base64url.
pub fn generate_password(random: &dyn Random) -> Password {
    Password::new(opaque_token(random, 15))
}

/// argon2id off the async threads (`crate::password_work`).
pub async fn hash_password(password: Password) -> Result<PasswordHash, StartupError> {
    crate::password_work::hash(password)
        .await
        .map_err(|e| StartupError::Io(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_directories_are_found_in_urls() {
        assert_eq!(
            sqlite_dir("sqlite://valet-data/valet.db?mode=rwc"),
            Some(Path::new("valet-data"))
        );
        assert_eq!(
            sqlite_dir("sqlite:///var/lib/valet/v.db"),
            Some(Path::new("/var/lib/valet"))
        );
        assert_eq!(sqlite_dir("sqlite::memory:"), None);
        assert_eq!(sqlite_dir("sqlite://v.db"), None);
        assert_eq!(sqlite_dir("postgres://x/y"), None);
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password(&OsRandom);
        assert_eq!(a.expose().len(), 20);
        assert_ne!(a.expose(), generate_password(&OsRandom).expose());
    }
}
