//! Domain objects → the admin API's views (`valet-admin-api`), and the API's client input → the
//! provisioning entry whose validation every client registration goes through.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use valet_admin_api::{
    AuditEventView, ClientInput, ClientView, GrantView, KeyView, NotificationView, RevocationView,
    SessionView, UserView,
};
use valet_core::client::Client;
use valet_core::keys::StoredKey;
use valet_core::outbox::OutboxMessage;
use valet_core::ports::{AuditRecord, GrantSummary};
use valet_core::provision::ClientEntry;
use valet_core::revocation::CascadeReport;
use valet_core::session::Session;
use valet_core::user::{StandardClaims, User};

pub fn client_input(client: &Client) -> ClientInput {
    let m = &client.metadata;
    let uris = |list: &[valet_core::client::RedirectUri]| {
        list.iter().map(|u| u.as_str().to_owned()).collect()
    };
    ClientInput {
        client_id: client.client_id.as_str().to_owned(),
        client_name: m.name.clone(),
        logo_uri: m.logo_uri.clone(),
        client_uri: m.client_uri.clone(),
        policy_uri: m.policy_uri.clone(),
        tos_uri: m.tos_uri.clone(),
        contacts: m.contacts.clone(),
        application_type: Some(m.application_type.as_str().to_owned()),
        redirect_uris: uris(&m.redirect_uris),
        post_logout_redirect_uris: uris(&m.post_logout_redirect_uris),
        grant_types: Some(
            m.grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
        ),
        scope: Some(m.scopes.join(" ")),
        token_endpoint_auth_method: Some(m.token_endpoint_auth_method.as_str().to_owned()),
        id_token_signed_response_alg: Some(m.id_token_signed_response_alg.as_str().to_owned()),
        backchannel_logout_uri: m.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: m.backchannel_logout_session_required,
        frontchannel_logout_uri: m.frontchannel_logout_uri.clone(),
        frontchannel_logout_session_required: m.frontchannel_logout_session_required,
        first_party: m.first_party,
        always_issue_refresh_token: m.always_issue_refresh_token,
        access_token_ttl_secs: m.lifetimes.access_token_secs,
        refresh_token_ttl_secs: m.lifetimes.refresh_token_secs,
    }
}

pub fn client_view(client: &Client) -> ClientView {
    ClientView {
        id: client.id,
        registration: client_input(client),
        public: client.is_public(),
        disabled: client.metadata.disabled,
        created_at: client.created_at,
        updated_at: client.updated_at,
    }
}

/// The provisioning entry for an API registration: one set of validation rules for files and API.
pub fn client_entry(input: &ClientInput, disabled: bool) -> ClientEntry {
    ClientEntry {
        client_id: input.client_id.clone(),
        client_name: input.client_name.clone(),
        logo_uri: input.logo_uri.clone(),
        client_uri: input.client_uri.clone(),
        policy_uri: input.policy_uri.clone(),
        tos_uri: input.tos_uri.clone(),
        contacts: input.contacts.clone(),
        application_type: input.application_type.clone(),
        redirect_uris: input.redirect_uris.clone(),
        post_logout_redirect_uris: input.post_logout_redirect_uris.clone(),
        grant_types: input.grant_types.clone(),
        scope: input.scope.clone(),
        token_endpoint_auth_method: input.token_endpoint_auth_method.clone(),
        id_token_signed_response_alg: input.id_token_signed_response_alg.clone(),
        backchannel_logout_uri: input.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: input.backchannel_logout_session_required,
        frontchannel_logout_uri: input.frontchannel_logout_uri.clone(),
        frontchannel_logout_session_required: input.frontchannel_logout_session_required,
        first_party: input.first_party,
        always_issue_refresh_token: input.always_issue_refresh_token,
        access_token_ttl_secs: input.access_token_ttl_secs,
        refresh_token_ttl_secs: input.refresh_token_ttl_secs,
        disabled,
        ..Default::default()
    }
}

/// The claims that are set, as JSON (unset ones and `false` flags are left out).
pub fn claims_json(claims: &StandardClaims) -> Map<String, Value> {
    match serde_json::to_value(claims) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .filter(|(_, v)| !v.is_null() && *v != Value::Bool(false))
            .collect(),
        _ => Map::new(),
    }
}

pub fn user_view(user: &User) -> UserView {
    UserView {
        id: user.id,
        username: user.username.as_str().to_owned(),
        claims: claims_json(&user.claims),
        roles: user.roles.iter().cloned().collect(),
        disabled: user.disabled,
        created_at: user.created_at,
        updated_at: user.updated_at,
    }
}

pub fn session_view(session: &Session, now: DateTime<Utc>) -> SessionView {
    SessionView {
        id: session.id,
        user_id: session.user_id,
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        ip: session.ip.clone(),
        user_agent: session.user_agent.clone(),
        created_at: session.created_at,
        last_seen_at: session.last_seen_at,
        expires_at: session.expires_at,
        ended_at: session.ended_at,
        active: session.is_active(now),
    }
}

pub fn grant_view(summary: &GrantSummary, client: Option<&Client>) -> GrantView {
    let g = &summary.grant;
    GrantView {
        id: g.id,
        user_id: g.user_id,
        client_id: client
            .map(|c| c.client_id.as_str().to_owned())
            .unwrap_or_default(),
        client_name: client.map(|c| c.metadata.name.clone()).unwrap_or_default(),
        scopes: g.scopes.clone(),
        created_at: g.created_at,
        last_used_at: g.last_used_at,
        revoked_at: g.revoked_at,
        live_refresh_tokens: summary.live_refresh_tokens,
    }
}

pub fn revocation_view(report: &CascadeReport) -> RevocationView {
    RevocationView {
        dry_run: report.dry_run,
        grants: report.grants,
        refresh_tokens: report.refresh_tokens,
        codes: report.codes,
        sessions: report.sessions,
        notification_count: report.notification_count,
        notifications: report.notifications.clone(),
        nothing_to_revoke: report.grants + report.sessions + report.refresh_tokens + report.codes
            == 0,
    }
}

pub fn notification_view(m: &OutboxMessage) -> NotificationView {
    NotificationView {
        id: m.id,
        kind: m.kind.clone(),
        client: m.client,
        target: m.target.clone(),
        status: m.status.as_str().to_owned(),
        attempts: m.attempts,
        next_attempt_at: m.next_attempt_at,
        last_error: m.last_error.clone(),
        created_at: m.created_at,
        delivered_at: m.delivered_at,
    }
}

pub fn key_view(key: &StoredKey, now: DateTime<Utc>) -> KeyView {
    KeyView {
        kid: key.kid.clone(),
        alg: key.alg.as_str().to_owned(),
        state: key.times.state_at(now).as_str().to_owned(),
        created_at: key.created_at,
        activates_at: key.times.activates_at,
        retires_at: key.times.retires_at,
        expires_at: key.times.expires_at,
    }
}

pub fn audit_view(record: &AuditRecord) -> AuditEventView {
    AuditEventView {
        id: record.id,
        occurred_at: record.occurred_at,
        actor: record.actor.clone(),
        action: record.action.clone(),
        target_type: record.target_type.clone(),
        target_id: record.target_id.clone(),
        ip: record.ip.clone(),
        details: record.details.clone(),
    }
}
