//! Revocation that reaches everything (ARCHITECTURE "Core ideas": Grant). One operation, the cascade,
//! with an actor and a reason:
//! - revoking grants kills their unredeemed codes and refresh tokens, makes their access tokens
//!   inactive at introspection and userinfo (both consult the grant), and unbinds them from sessions;
//! - ending sessions kills the refresh tokens bound to them (not `offline_access` ones) and, through
//!   the session check, their access tokens; when the user's credentials change (a new password, a
//!   second factor turned on), the user's refresh tokens bound to no session (`offline_access`,
//!   the password grant) die too: they were obtained with what the change replaces;
//! - every relying party that held an affected grant or session and registered a
//!   `backchannel_logout_uri` gets a logout token (OIDC Back-Channel Logout 1.0 §2.4), queued in the
//!   durable outbox in the same transaction, so a crash never loses one.
//!
//! The store runs the whole cascade in one transaction and writes one audit event with the counts.
//! A dry run computes the same counts and rolls back.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::{Actor, AuditEvent};
use crate::keys::SigningAlg;
use crate::password::PasswordHash;
use crate::ports::{RevocationStore, StoreError};

/// Which grants a cascade revokes (live ones only; revoking a revoked grant changes nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grants {
    None,
    One(Uuid),
    OfUser(Uuid),
    OfClient(Uuid),
    OfUserAndClient { user_id: Uuid, client: Uuid },
}

/// Which SSO sessions a cascade ends (active ones only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sessions {
    None,
    One(Uuid),
    /// Every session of the user, but `except` (the one changing its password, say); with
    /// `detached`, also the user's refresh tokens bound to no session.
    OfUser {
        user_id: Uuid,
        except: Option<Uuid>,
        detached: bool,
    },
}

/// A change to an account made in the same transaction as the revocation it causes, so that a
/// failure can never leave one without the other (a disabled account whose access still stands, a
/// changed password whose other sessions live on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountChange {
    Nothing,
    DisableUser(Uuid),
    /// The client's row id.
    DisableClient(Uuid),
    SetPassword {
        user_id: Uuid,
        hash: PasswordHash,
        /// The reset link this password is set through, spent in the same transaction: if it is
        /// no longer usable by then (spent by another request, expired), nothing changes at all.
        link: Option<Uuid>,
    },
}

/// What to revoke, and why (kept on the grants, the sessions and in the audit event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cascade {
    pub grants: Grants,
    pub sessions: Sessions,
    pub account: AccountChange,
    pub reason: String,
}

impl Cascade {
    /// RP-initiated logout, or an administrator ending one session.
    pub fn end_session(id: Uuid, reason: &str) -> Self {
        Self {
            grants: Grants::None,
            sessions: Sessions::One(id),
            account: AccountChange::Nothing,
            reason: reason.to_owned(),
        }
    }

    pub fn revoke_grants(grants: Grants, reason: &str) -> Self {
        Self {
            grants,
            sessions: Sessions::None,
            account: AccountChange::Nothing,
            reason: reason.to_owned(),
        }
    }

    /// A disabled or deleted user: every grant and every session.
    pub fn user_cut_off(user_id: Uuid, reason: &str) -> Self {
        Self {
            grants: Grants::OfUser(user_id),
            sessions: Sessions::OfUser {
                user_id,
                except: None,
                detached: false,
            },
            account: AccountChange::Nothing,
            reason: reason.to_owned(),
        }
    }

    /// Every session of the user but `except` ends (grants stay: consent is unchanged).
    pub fn end_user_sessions(user_id: Uuid, except: Option<Uuid>, reason: &str) -> Self {
        Self {
            grants: Grants::None,
            sessions: Sessions::OfUser {
                user_id,
                except,
                detached: false,
            },
            account: AccountChange::Nothing,
            reason: reason.to_owned(),
        }
    }

    /// The user's credentials changed (`reason`): every session but `except` ends, and every
    /// refresh token bound to no session dies, since all were obtained with the old credentials.
    pub fn credentials_changed(user_id: Uuid, except: Option<Uuid>, reason: &str) -> Self {
        Self {
            sessions: Sessions::OfUser {
                user_id,
                except,
                detached: true,
            },
            ..Self::end_user_sessions(user_id, except, reason)
        }
    }

    /// A password change: every other session of the user ends, and the tokens bound to none.
    pub fn password_changed(user_id: Uuid, current_session: Option<Uuid>) -> Self {
        Self::credentials_changed(user_id, current_session, "password changed")
    }

    /// Sets the password and ends every other session of the user, in one transaction.
    pub fn set_password(user_id: Uuid, hash: PasswordHash, current_session: Option<Uuid>) -> Self {
        Self {
            account: AccountChange::SetPassword {
                user_id,
                hash,
                link: None,
            },
            ..Self::password_changed(user_id, current_session)
        }
    }

    /// Sets the password through the reset link `link`, spending it, and ends every session of
    /// the user, in one transaction; if the link is no longer usable, nothing changes.
    pub fn reset_password(user_id: Uuid, hash: PasswordHash, link: Uuid) -> Self {
        Self {
            account: AccountChange::SetPassword {
                user_id,
                hash,
                link: Some(link),
            },
            ..Self::password_changed(user_id, None)
        }
    }

    /// Disabling a user: the account is switched off and every grant and session of theirs cut.
    pub fn disable_user(user_id: Uuid) -> Self {
        Self {
            account: AccountChange::DisableUser(user_id),
            ..Self::user_cut_off(user_id, "user disabled")
        }
    }

    /// Disabling a client: it can no longer authenticate, and every grant to it is revoked.
    pub fn disable_client(client: Uuid) -> Self {
        Self {
            account: AccountChange::DisableClient(client),
            ..Self::revoke_grants(Grants::OfClient(client), "client disabled")
        }
    }

    /// The audit action this cascade is recorded under.
    pub fn action(&self) -> &'static str {
        match self.account {
            AccountChange::DisableUser(_) => return "user.disabled",
            AccountChange::DisableClient(_) => return "client.disabled",
            AccountChange::SetPassword { .. } => return "user.password_set",
            AccountChange::Nothing => {}
        }
        match (self.grants, self.sessions) {
            (Grants::None, _) => "sessions.ended",
            (_, Sessions::None) => "grants.revoked",
            _ => "access.revoked",
        }
    }
}

/// What a cascade revoked (or, in a dry run, would revoke).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CascadeReport {
    /// Whether `Cascade::account` changed anything (false: the account was already disabled).
    pub account_changed: bool,
    pub grants: u64,
    /// Refresh tokens that could still have been used (neither rotated nor revoked before).
    pub refresh_tokens: u64,
    pub codes: u64,
    pub sessions: u64,
    /// Outbox ids of the back-channel logout tokens queued (empty in a dry run).
    pub notifications: Vec<Uuid>,
    /// How many logout tokens were (or would be) queued.
    pub notification_count: u64,
    pub dry_run: bool,
}

/// A relying party that held an affected grant, within a session or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The client's row id.
    pub client: Uuid,
    pub client_id: String,
    pub backchannel_logout_uri: Option<String>,
    /// The RP registered `backchannel_logout_session_required`: every token must carry `sid`.
    pub session_required: bool,
    pub id_token_alg: SigningAlg,
    pub user_id: Uuid,
    pub session_id: Option<Uuid>,
}

/// What a back-channel logout delivery carries until it is signed at delivery time (so a retry after
/// a restart still sends a token with a fresh `iat`/`exp`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutPayload {
    pub aud: String,
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub alg: SigningAlg,
}

/// One back-channel logout to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutNotification {
    pub id: Uuid,
    pub client: Uuid,
    pub target: String,
    pub payload: LogoutPayload,
}

pub const BACKCHANNEL_LOGOUT_KIND: &str = "backchannel_logout";

/// The logout tokens a set of affected bindings calls for: one per relying party with a
/// `backchannel_logout_uri` and per session (`sub` + `sid`), or per user when no session is
/// involved (`sub` alone: "every session of this user at this RP", §2.4), except to an RP that
/// requires `sid` (§2.2), which could only reject such a token. Duplicates collapse.
pub fn logout_notifications(bindings: &[Binding]) -> Vec<LogoutNotification> {
    let mut seen = BTreeSet::new();
    bindings
        .iter()
        .filter(|b| b.session_id.is_some() || !b.session_required)
        .filter_map(|b| {
            let uri = b.backchannel_logout_uri.as_ref()?;
            seen.insert((b.client, b.user_id, b.session_id))
                .then(|| LogoutNotification {
                    id: Uuid::now_v7(),
                    client: b.client,
                    target: uri.clone(),
                    payload: LogoutPayload {
                        aud: b.client_id.clone(),
                        sub: b.user_id.to_string(),
                        sid: b.session_id.map(|s| s.to_string()),
                        alg: b.id_token_alg,
                    },
                })
        })
        .collect()
}

/// Runs a cascade (or its dry run) and records who did it and why.
pub async fn cascade(
    store: &dyn RevocationStore,
    cascade: &Cascade,
    actor: Actor,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<CascadeReport, StoreError> {
    let event = AuditEvent::new(now, actor, cascade.action());
    let event = match (cascade.grants, cascade.sessions) {
        (Grants::One(id), _) => event.target("grant", id.to_string()),
        (Grants::OfUser(id), _) | (_, Sessions::OfUser { user_id: id, .. }) => {
            event.target("user", id.to_string())
        }
        (Grants::OfUserAndClient { user_id, .. }, _) => event.target("user", user_id.to_string()),
        (Grants::OfClient(id), _) => event.target("client", id.to_string()),
        (_, Sessions::One(id)) => event.target("session", id.to_string()),
        (Grants::None, Sessions::None) => event,
    };
    store.cascade(cascade, now, &event, dry_run).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(client: Uuid, uri: Option<&str>, user: Uuid, session: Option<Uuid>) -> Binding {
        Binding {
            client,
            client_id: "rp".into(),
            backchannel_logout_uri: uri.map(str::to_owned),
            session_required: false,
            id_token_alg: SigningAlg::Rs256,
            user_id: user,
            session_id: session,
        }
    }

    #[test]
    fn only_clients_with_a_backchannel_uri_are_notified_once_per_session() {
        let (rp, other, user, sid) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let uri = Some("https://rp.example/bcl");
        let found = logout_notifications(&[
            binding(rp, uri, user, Some(sid)),
            binding(rp, uri, user, Some(sid)),
            binding(other, None, user, Some(sid)),
            binding(rp, uri, user, None),
        ]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].payload.sid, Some(sid.to_string()));
        assert_eq!(found[0].payload.sub, user.to_string());
        assert_eq!(found[0].target, "https://rp.example/bcl");
        assert_eq!(found[1].payload.sid, None, "no session: sub alone");
        let strict = Binding {
            session_required: true,
            ..binding(rp, uri, user, None)
        };
        assert!(
            logout_notifications(&[strict]).is_empty(),
            "an RP that requires sid gets no sid-less token"
        );
    }

    #[test]
    fn a_payload_round_trips_without_a_session() {
        let payload = LogoutPayload {
            aud: "rp".into(),
            sub: "u".into(),
            sid: None,
            alg: SigningAlg::Es256,
        };
        let text = serde_json::to_string(&payload).unwrap_or_default();
        assert!(!text.contains("sid"));
        assert_eq!(
            serde_json::from_str::<LogoutPayload>(&text).ok(),
            Some(payload)
        );
    }

    #[test]
    fn each_cascade_names_its_audit_action() {
        let id = Uuid::now_v7();
        assert_eq!(
            Cascade::end_session(id, "logout").action(),
            "sessions.ended"
        );
        assert_eq!(
            Cascade::revoke_grants(Grants::One(id), "admin").action(),
            "grants.revoked"
        );
        assert_eq!(
            Cascade::user_cut_off(id, "deleted").action(),
            "access.revoked"
        );
        assert_eq!(Cascade::disable_user(id).action(), "user.disabled");
        assert_eq!(Cascade::disable_client(id).grants, Grants::OfClient(id));
        assert_eq!(
            Cascade::password_changed(id, None).sessions,
            Sessions::OfUser {
                user_id: id,
                except: None,
                detached: true,
            }
        );
    }
}
