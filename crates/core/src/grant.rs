//! Grants: what one user let one client do. Every code, refresh token and access token points to its
//! grant, so revoking the grant revokes all of them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The client's row id (not its `client_id` string).
    pub client: Uuid,
    pub scopes: Vec<String>,
    pub claims: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Grant {
    pub fn new(user_id: Uuid, client: Uuid, scopes: Vec<String>, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::now_v7(),
            user_id,
            client,
            scopes,
            claims: None,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        }
    }

    pub fn is_live(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// Whether a use at `now` (tokens minted from it) should be written as its `last_used_at`:
    /// never written yet, or older than [`crate::session::SEEN_EVERY`].
    pub fn use_due(&self, now: DateTime<Utc>) -> bool {
        self.last_used_at
            .is_none_or(|at| now - at >= crate::session::SEEN_EVERY)
    }

    /// Whether consent already covers every requested scope (so the consent page can be skipped).
    pub fn covers(&self, scopes: &[String]) -> bool {
        self.is_live() && scopes.iter().all(|s| self.scopes.contains(s))
    }

    /// The grant after a new consent: earlier scopes are kept, new ones appended (consent accumulates).
    pub fn extended(mut self, scopes: &[String], now: DateTime<Utc>) -> Self {
        for scope in scopes {
            if !self.scopes.contains(scope) {
                self.scopes.push(scope.clone());
            }
        }
        self.last_used_at = Some(now);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_grant_covers_subsets_of_its_scopes_only_while_live() {
        let now = Utc::now();
        let mut grant = Grant::new(
            Uuid::now_v7(),
            Uuid::now_v7(),
            scopes(&["openid", "email"]),
            now,
        );
        assert!(grant.covers(&scopes(&["email"])));
        assert!(!grant.covers(&scopes(&["email", "phone"])));
        grant.revoked_at = Some(now);
        assert!(!grant.covers(&scopes(&["email"])));
    }

    #[test]
    fn a_use_is_written_when_never_written_or_older_than_seen_every() {
        let now = Utc::now();
        let mut grant = Grant::new(Uuid::now_v7(), Uuid::now_v7(), scopes(&["openid"]), now);
        assert!(grant.use_due(now), "never used");
        grant.last_used_at = Some(now);
        assert!(!grant.use_due(now + crate::session::SEEN_EVERY - chrono::Duration::seconds(1)));
        assert!(grant.use_due(now + crate::session::SEEN_EVERY));
    }

    #[test]
    fn extending_a_grant_accumulates_scopes_without_duplicates() {
        let now = Utc::now();
        let grant = Grant::new(
            Uuid::now_v7(),
            Uuid::now_v7(),
            scopes(&["openid", "email"]),
            now,
        )
        .extended(&scopes(&["email", "phone"]), now);
        assert_eq!(grant.scopes, scopes(&["openid", "email", "phone"]));
        assert_eq!(grant.last_used_at, Some(now));
    }
}
