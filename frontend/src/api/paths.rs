//! The admin API's paths, below `/admin/api/v1`, with their queries. Ids and client_ids are
//! percent-encoded as path segments; absent filters are left out.

use uuid::Uuid;

use crate::url::{encode, with_query};

/// Rows per page the console asks for.
pub const PAGE_SIZE: &str = "25";

pub fn overview() -> String {
    "/overview".into()
}

/// `/clients` or `/users` with search, cursor and page size.
pub fn listing(resource: &str, q: &str, cursor: Option<&str>) -> String {
    let q = q.trim();
    with_query(
        &format!("/{resource}"),
        [
            ("q", Some(q)),
            ("cursor", cursor),
            ("limit", Some(PAGE_SIZE)),
        ],
    )
}

pub fn client(client_id: &str) -> String {
    format!("/clients/{}", encode(client_id))
}

/// `disable`, `enable`, `secret`, `grants/revoke`.
pub fn client_action(client_id: &str, action: &str, dry_run: bool) -> String {
    with_query(
        &format!("{}/{action}", client(client_id)),
        [("dry_run", dry_run.then_some("true"))],
    )
}

pub fn user(id: Uuid) -> String {
    format!("/users/{id}")
}

pub fn user_sessions(id: Uuid) -> String {
    format!("/users/{id}/sessions")
}

pub fn user_mfa(id: Uuid) -> String {
    format!("/users/{id}/mfa")
}

/// `disable`, `enable`, `sessions/end`, `grants/revoke`, `mfa/reset`, `email/verify`.
pub fn user_action(id: Uuid, action: &str, dry_run: bool) -> String {
    with_query(
        &format!("/users/{id}/{action}"),
        [("dry_run", dry_run.then_some("true"))],
    )
}

pub fn grants_of_user(user_id: Uuid, cursor: Option<&str>) -> String {
    let user = user_id.to_string();
    with_query(
        "/grants",
        [
            ("user_id", Some(user.as_str())),
            ("cursor", cursor),
            ("limit", Some(PAGE_SIZE)),
        ],
    )
}

pub fn grants_of_client(client_id: &str, live: bool) -> String {
    with_query(
        "/grants",
        [
            ("client_id", Some(client_id)),
            ("live", live.then_some("true")),
            ("limit", Some(PAGE_SIZE)),
        ],
    )
}

pub fn revoke_grant(id: Uuid, dry_run: bool) -> String {
    with_query(
        &format!("/grants/{id}/revoke"),
        [("dry_run", dry_run.then_some("true"))],
    )
}

pub fn end_session(id: Uuid, dry_run: bool) -> String {
    with_query(
        &format!("/sessions/{id}/end"),
        [("dry_run", dry_run.then_some("true"))],
    )
}

/// Deliveries, newest first; `status` is `pending`, `delivered` or `failed`.
pub fn notifications(status: Option<&str>, cursor: Option<&str>, limit: &str) -> String {
    with_query(
        "/notifications",
        [
            ("status", status),
            ("cursor", cursor),
            ("limit", Some(limit)),
        ],
    )
}

pub fn keys() -> String {
    "/keys".into()
}

pub fn rotate_keys(immediately: bool) -> String {
    with_query(
        "/keys/rotate",
        [("immediately", immediately.then_some("true"))],
    )
}

/// The audit log's filters as typed in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// `YYYY-MM-DDTHH:MM` from a `datetime-local` input, read as UTC.
    pub from: String,
    pub to: String,
}

/// A `datetime-local` value (`2026-11-30T14:05`, seconds optional) as RFC 3339 UTC.
pub fn utc_from_local_input(value: &str) -> Option<String> {
    let value = value.trim();
    let parsed = chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    Some(parsed.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

pub fn audit(filter: &AuditFilter, cursor: Option<&str>) -> String {
    let from = utc_from_local_input(&filter.from);
    let to = utc_from_local_input(&filter.to);
    with_query(
        "/audit",
        [
            ("actor", Some(filter.actor.trim())),
            ("action", Some(filter.action.trim())),
            ("target_type", Some(filter.target_type.trim())),
            ("target_id", Some(filter.target_id.trim())),
            ("from", from.as_deref()),
            ("to", to.as_deref()),
            ("cursor", cursor),
            ("limit", Some(PAGE_SIZE)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_carry_search_cursor_and_page_size() {
        assert_eq!(listing("users", "  ", None), "/users?limit=25");
        assert_eq!(
            listing("clients", "bill pay", Some("YWJj")),
            "/clients?q=bill%20pay&cursor=YWJj&limit=25"
        );
    }

    #[test]
    fn client_ids_are_encoded_as_one_segment() {
        assert_eq!(client("a/b c"), "/clients/a%2Fb%20c");
        assert_eq!(
            client_action("app", "grants/revoke", true),
            "/clients/app/grants/revoke?dry_run=true"
        );
        assert_eq!(
            client_action("app", "disable", false),
            "/clients/app/disable"
        );
    }

    #[test]
    fn revocations_ask_for_a_dry_run_explicitly() {
        let id = Uuid::nil();
        assert_eq!(
            revoke_grant(id, true),
            format!("/grants/{id}/revoke?dry_run=true")
        );
        assert_eq!(revoke_grant(id, false), format!("/grants/{id}/revoke"));
        assert_eq!(rotate_keys(true), "/keys/rotate?immediately=true");
    }

    #[test]
    fn audit_filters_become_rfc_3339_and_empty_ones_vanish() {
        let filter = AuditFilter {
            action: "grants.revoked".into(),
            from: "2026-11-30T14:05".into(),
            to: "garbage".into(),
            ..Default::default()
        };
        assert_eq!(
            audit(&filter, None),
            "/audit?action=grants.revoked&from=2026-11-30T14%3A05%3A00Z&limit=25"
        );
        assert_eq!(
            utc_from_local_input("2026-01-02T03:04:05").as_deref(),
            Some("2026-01-02T03:04:05Z")
        );
    }
}
