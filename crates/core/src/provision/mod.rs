//! Declarative provisioning: a file of clients and users applied idempotently, all or nothing.
//!
//! The file is parsed and every entry validated before anything is read from the store; errors name
//! the entry and the field. Entries are then compared with what is stored and only real differences
//! are written, in one transaction, so applying the same file twice changes nothing. Clear passwords
//! that already verify against the stored hash are not re-hashed; entries without a password or
//! secret leave the stored one alone. Users and clients absent from the file are not touched.
//!
//! A change that cuts access runs the revocation cascade an administrator's would, in the same
//! transaction: a new password ends the user's sessions, a disabled user loses every session and
//! grant, a disabled client every grant.
//!
//! A client_secret_jwt client's secret is also sealed under the master key (OIDC Core §9: the HMAC
//! is keyed with the secret itself); a stored sealed secret that already holds the file's secret is
//! kept, so re-applying does not re-seal. A secret rotation's overlap in progress is kept.

mod client_entry;
mod document;

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{Actor, AuditEvent};
use crate::client::{Client, ClientId, SecretSealer, TokenEndpointAuthMethod};
use crate::keys::SealedKey;
use crate::password::PasswordHash;
use crate::ports::{ProvisionStore, StoreError};
use crate::revocation::Cascade;
use crate::secret::{Secret, SecretHash};
use crate::user::User;

pub use document::{
    ClientEntry, ClientSpec, Credential, DEFAULT_CLIENT_SCOPE, ProvisionDocument, UserEntry,
    UserSpec,
};

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("the provisioning file is not valid TOML of the expected shape: {0}")]
    Syntax(String),
    #[error("{entry}, field `{field}`: {message}")]
    Invalid {
        entry: String,
        field: String,
        message: String,
    },
    /// A client_secret_jwt secret must be sealed and the run has no master key, or sealing failed.
    #[error("{entry}: cannot seal the client secret: {message}")]
    Sealing { entry: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a provisioning run writes.
#[derive(Debug, Default)]
pub struct ProvisionChanges {
    pub created_users: Vec<User>,
    pub updated_users: Vec<User>,
    pub created_clients: Vec<Client>,
    pub updated_clients: Vec<Client>,
    /// The cascades the user updates call for, each with its audit event.
    pub user_cascades: Vec<(Cascade, AuditEvent)>,
    /// The cascades the client updates call for, each with its audit event.
    pub client_cascades: Vec<(Cascade, AuditEvent)>,
}

#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProvisionReport {
    pub users_created: usize,
    pub users_updated: usize,
    pub users_unchanged: usize,
    pub clients_created: usize,
    pub clients_updated: usize,
    pub clients_unchanged: usize,
}

/// Parses and validates the whole file.
pub fn parse(text: &str) -> Result<(Vec<ClientSpec>, Vec<UserSpec>), ProvisionError> {
    let doc: ProvisionDocument =
        toml::from_str(text).map_err(|e| ProvisionError::Syntax(e.to_string()))?;
    let clients: Vec<ClientSpec> = doc
        .clients
        .iter()
        .enumerate()
        .map(|(i, c)| c.validate(i))
        .collect::<Result<_, _>>()?;
    let users: Vec<UserSpec> = doc
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| u.validate(i))
        .collect::<Result<_, _>>()?;
    reject_duplicates(
        "clients",
        "client_id",
        clients.iter().map(|c| c.client_id.as_str()),
    )?;
    reject_duplicates(
        "users",
        "username",
        users.iter().map(|u| u.username.as_str()),
    )?;
    Ok((clients, users))
}

fn reject_duplicates<'a>(
    list: &str,
    field: &str,
    keys: impl Iterator<Item = &'a str>,
) -> Result<(), ProvisionError> {
    let mut seen = std::collections::BTreeMap::new();
    for (i, key) in keys.enumerate() {
        if let Some(first) = seen.insert(key, i) {
            return Err(ProvisionError::Invalid {
                entry: format!("{list}[{i}] ({field} {key:?})"),
                field: field.to_owned(),
                message: format!("duplicates {list}[{first}]"),
            });
        }
    }
    Ok(())
}

/// Applies a provisioning file: validate everything, diff against the store, write the differences
/// and one audit event per change in a single transaction. `sealer` seals client_secret_jwt secrets;
/// without it, a file that needs a secret sealed is refused.
pub async fn apply(
    text: &str,
    store: &dyn ProvisionStore,
    now: DateTime<Utc>,
    actor: Actor,
    sealer: Option<&SecretSealer<'_>>,
) -> Result<ProvisionReport, ProvisionError> {
    let (clients, users) = parse(text)?;
    let mut changes = ProvisionChanges::default();
    let mut report = ProvisionReport::default();
    for spec in users {
        let existing = store.find_user(&spec.username).await?;
        match user_change(spec, existing.as_ref(), now)? {
            Change::Create(user) => changes.created_users.push(user),
            Change::Update(user) => {
                if let Some(cascade) = existing.as_ref().and_then(|c| user_cut_off(c, &user)) {
                    let event = AuditEvent::new(now, actor.clone(), cascade.action())
                        .target("user", user.id.to_string())
                        .details(json!({ "username": user.username.as_str() }));
                    changes.user_cascades.push((cascade, event));
                }
                changes.updated_users.push(user);
            }
            Change::None => report.users_unchanged += 1,
        }
    }
    for spec in clients {
        let existing = store.find_client(&spec.client_id).await?;
        match client_change(spec, existing.as_ref(), now, sealer)? {
            Change::Create(client) => changes.created_clients.push(client),
            Change::Update(client) => {
                if existing.as_ref().is_some_and(|c| !c.metadata.disabled)
                    && client.metadata.disabled
                {
                    let cascade = Cascade::disable_client(client.id);
                    // The row id, which the cascade records as the client_id.
                    let event = AuditEvent::new(now, actor.clone(), cascade.action())
                        .target("client", client.id.to_string())
                        .details(json!({ "client_name": client.metadata.name }));
                    changes.client_cascades.push((cascade, event));
                }
                changes.updated_clients.push(client);
            }
            Change::None => report.clients_unchanged += 1,
        }
    }
    report.users_created = changes.created_users.len();
    report.users_updated = changes.updated_users.len();
    report.clients_created = changes.created_clients.len();
    report.clients_updated = changes.updated_clients.len();
    let events = audit_events(&changes, now, &actor);
    if !events.is_empty() {
        store.apply_provision(&changes, &events).await?;
    }
    Ok(report)
}

/// What an update of `current` to `updated` cuts off: everything a newly disabled user held (which
/// covers what a new password ends too), or the sessions a new password ends.
fn user_cut_off(current: &User, updated: &User) -> Option<Cascade> {
    if updated.disabled && !current.disabled {
        return Some(Cascade::disable_user(updated.id));
    }
    let hash = updated.password_hash.as_ref()?;
    (current.password_hash.as_ref() != Some(hash))
        .then(|| Cascade::set_password(updated.id, hash.clone(), None))
}

enum Change<T> {
    Create(T),
    Update(T),
    None,
}

fn user_change(
    spec: UserSpec,
    existing: Option<&User>,
    now: DateTime<Utc>,
) -> Result<Change<User>, ProvisionError> {
    let hashing_error = |e: crate::password::PasswordError| ProvisionError::Invalid {
        entry: format!("users (username {:?})", spec.username.as_str()),
        field: "password".into(),
        message: e.to_string(),
    };
    let existing_hash = existing.and_then(|u| u.password_hash.clone());
    let password_hash = match &spec.password {
        None => existing_hash,
        Some(Credential::Hashed(hash)) => Some(hash.clone()),
        Some(Credential::Clear(pw)) => match existing_hash {
            Some(hash) if hash.verify(pw) => Some(hash),
            _ => Some(PasswordHash::create(pw).map_err(hashing_error)?),
        },
    };
    let candidate = User {
        id: existing.map_or_else(Uuid::now_v7, |u| u.id),
        username: spec.username,
        password_hash,
        disabled: spec.disabled,
        claims: spec.claims,
        roles: spec.roles,
        created_at: existing.map_or(now, |u| u.created_at),
        updated_at: existing.map_or(now, |u| u.updated_at),
        second_factor: existing.is_some_and(|u| u.second_factor),
    };
    Ok(match existing {
        None => Change::Create(candidate),
        Some(current) if *current == candidate => Change::None,
        Some(_) => Change::Update(User {
            updated_at: now,
            ..candidate
        }),
    })
}

/// The client a validated spec makes: new (`existing` is `None`), or `existing` rewritten; `None`
/// when nothing would change. The admin API registers and edits clients through this, so API and
/// provisioning files follow one set of rules.
pub fn client_from_spec(
    spec: ClientSpec,
    existing: Option<&Client>,
    now: DateTime<Utc>,
    sealer: Option<&SecretSealer<'_>>,
) -> Result<Option<Client>, ProvisionError> {
    Ok(match client_change(spec, existing, now, sealer)? {
        Change::Create(client) | Change::Update(client) => Some(client),
        Change::None => None,
    })
}

fn client_change(
    spec: ClientSpec,
    existing: Option<&Client>,
    now: DateTime<Utc>,
    sealer: Option<&SecretSealer<'_>>,
) -> Result<Change<Client>, ProvisionError> {
    let entry = format!("clients (client_id {:?})", spec.client_id.as_str());
    let method = spec.metadata.token_endpoint_auth_method;
    let (secret_hash, sealed_secret) = match spec.secret {
        Some(Credential::Clear(secret)) if method == TokenEndpointAuthMethod::ClientSecretJwt => {
            let sealed = sealed_for(&spec.client_id, &secret, existing, sealer, &entry)?;
            (Some(secret.sha256()), Some(sealed))
        }
        Some(Credential::Clear(secret)) => (Some(secret.sha256()), None),
        Some(Credential::Hashed(hash)) => (Some(hash), None),
        None => (
            existing.and_then(|c| c.secret_hash.clone()),
            existing
                .filter(|_| method == TokenEndpointAuthMethod::ClientSecretJwt)
                .and_then(|c| c.sealed_secret.clone()),
        ),
    };
    check_has_secret(method, secret_hash.as_ref(), sealed_secret.as_ref(), &entry)?;
    let candidate = Client {
        id: existing.map_or_else(Uuid::now_v7, |c| c.id),
        client_id: spec.client_id,
        secret_hash,
        // A rotation's overlap belongs to `rotate-secret`, not to the file: it runs on.
        previous_secret: existing.and_then(|c| c.previous_secret.clone()),
        sealed_secret,
        metadata: spec.metadata,
        created_at: existing.map_or(now, |c| c.created_at),
        updated_at: existing.map_or(now, |c| c.updated_at),
    };
    Ok(match existing {
        None => Change::Create(candidate),
        Some(current) if *current == candidate => Change::None,
        Some(_) => Change::Update(Client {
            updated_at: now,
            ..candidate
        }),
    })
}

/// The stored sealed secret when it already holds `secret` (so re-applying writes nothing), else
/// `secret` sealed anew. Without a sealer the stored one is trusted when the stored hash matches:
/// both were written together from the same secret.
fn sealed_for(
    client_id: &ClientId,
    secret: &Secret,
    existing: Option<&Client>,
    sealer: Option<&SecretSealer<'_>>,
    entry: &str,
) -> Result<SealedKey, ProvisionError> {
    let kept = existing
        .filter(|c| c.secret_hash.as_ref().is_some_and(|h| h.matches(secret)))
        .and_then(|c| c.sealed_secret.as_ref())
        .filter(|sealed| sealer.is_none_or(|s| s.holds(client_id, sealed, secret)));
    if let Some(sealed) = kept {
        return Ok(sealed.clone());
    }
    let sealer = sealer.ok_or_else(|| ProvisionError::Sealing {
        entry: entry.to_owned(),
        message: "client_secret_jwt keeps the secret sealed under the master key, and this run has no master key".into(),
    })?;
    sealer
        .seal(client_id, secret)
        .map_err(|e| ProvisionError::Sealing {
            entry: entry.to_owned(),
            message: e.to_string(),
        })
}

/// The secret methods cannot work without a secret; client_secret_jwt needs it sealed, which only a
/// clear `client_secret` provides.
fn check_has_secret(
    method: TokenEndpointAuthMethod,
    hash: Option<&SecretHash>,
    sealed: Option<&SealedKey>,
    entry: &str,
) -> Result<(), ProvisionError> {
    let message = match method {
        TokenEndpointAuthMethod::ClientSecretBasic | TokenEndpointAuthMethod::ClientSecretPost
            if hash.is_none() =>
        {
            format!("{method} needs a secret: give client_secret or client_secret_sha256")
        }
        TokenEndpointAuthMethod::ClientSecretJwt if hash.is_none() || sealed.is_none() => {
            format!(
                "{method} needs the clear client_secret: HMAC assertions are verified with the secret itself"
            )
        }
        _ => return Ok(()),
    };
    Err(ProvisionError::Invalid {
        entry: entry.to_owned(),
        field: "client_secret".into(),
        message,
    })
}

fn audit_events(changes: &ProvisionChanges, now: DateTime<Utc>, actor: &Actor) -> Vec<AuditEvent> {
    let user = |action, u: &User| {
        AuditEvent::new(now, actor.clone(), action)
            .target("user", u.id.to_string())
            .details(json!({ "username": u.username.as_str() }))
    };
    let client = |action, c: &Client| {
        AuditEvent::new(now, actor.clone(), action)
            .target("client", c.client_id.as_str())
            .details(json!({ "client_name": c.metadata.name }))
    };
    changes
        .created_users
        .iter()
        .map(|u| user("user.created", u))
        .chain(
            changes
                .updated_users
                .iter()
                .map(|u| user("user.updated", u)),
        )
        .chain(
            changes
                .created_clients
                .iter()
                .map(|c| client("client.created", c)),
        )
        .chain(
            changes
                .updated_clients
                .iter()
                .map(|c| client("client.updated", c)),
        )
        .collect()
}

#[cfg(test)]
mod tests;
