//! What a revocation cuts, said in words before and after (from `RevocationView`), and how its
//! back-channel logout deliveries (OpenID Connect Back-Channel Logout 1.0) stand.

use std::collections::BTreeMap;

use uuid::Uuid;
use valet_admin_api::{NotificationView, RevocationView};

use crate::format::{count, sentence_list};

/// The parts of a cascade, in the order an administrator cares about; zeros are left out.
fn parts(v: &RevocationView, past: bool) -> Vec<String> {
    let verb = |future: &str, done: &str| if past { done } else { future }.to_owned();
    let mut parts = Vec::new();
    if v.grants > 0 {
        parts.push(format!(
            "{} {}",
            verb("revoke", "revoked"),
            count(v.grants, "grant", "grants")
        ));
    }
    let mut tokens = Vec::new();
    if v.refresh_tokens > 0 {
        tokens.push(count(v.refresh_tokens, "refresh token", "refresh tokens"));
    }
    if v.codes > 0 {
        tokens.push(count(
            v.codes,
            "unused authorization code",
            "unused authorization codes",
        ));
    }
    if !tokens.is_empty() {
        parts.push(format!(
            "{} {}",
            verb("invalidate", "invalidated"),
            sentence_list(&tokens)
        ));
    }
    if v.sessions > 0 {
        parts.push(format!(
            "{} {}",
            verb("end", "ended"),
            count(v.sessions, "sign-in session", "sign-in sessions")
        ));
    }
    if v.notification_count > 0 {
        parts.push(format!(
            "{} {} to relying parties",
            verb("send", "queued"),
            count(
                v.notification_count,
                "back-channel logout notification",
                "back-channel logout notifications"
            )
        ));
    }
    parts
}

/// The confirmation's text from a dry run: `Revoking the grant of alice to Billing will revoke 1
/// grant, invalidate 2 refresh tokens and end 1 sign-in session.`
pub fn dry_run_sentence(action: &str, v: &RevocationView) -> String {
    let parts = parts(v, false);
    if v.nothing_to_revoke || parts.is_empty() {
        return format!("{action} would change nothing: there is nothing left to revoke.");
    }
    let tail = if v.grants > 0 || v.refresh_tokens > 0 {
        " Access tokens already issued stop passing introspection at once and expire on their own."
    } else {
        ""
    };
    format!("{action} will {}.{tail}", sentence_list(&parts))
}

/// The status line after the real revocation: `Done: revoked 1 grant and …`.
pub fn outcome_sentence(v: &RevocationView) -> String {
    let parts = parts(v, true);
    if v.nothing_to_revoke || parts.is_empty() {
        "Nothing was left to revoke.".into()
    } else {
        format!("Done: {}.", sentence_list(&parts))
    }
}

/// Where one delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Delivery {
    Pending,
    Delivered,
    Failed,
    /// Not (yet) seen in the outbox listing.
    Unknown,
}

impl Delivery {
    pub fn parse(status: &str) -> Self {
        match status {
            "pending" => Self::Pending,
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            _ => Self::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Unknown => "waiting",
        }
    }

    pub fn settled(self) -> bool {
        matches!(self, Self::Delivered | Self::Failed)
    }
}

/// The deliveries a revocation queued, by id, with what the outbox listing says of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Propagation {
    pub rows: BTreeMap<Uuid, Option<NotificationView>>,
}

impl Propagation {
    pub fn new(ids: &[Uuid]) -> Self {
        Self {
            rows: ids.iter().map(|id| (*id, None)).collect(),
        }
    }

    /// Takes in a page of the outbox listing; returns true when it held any of ours.
    pub fn absorb(&mut self, page: &[NotificationView]) -> bool {
        let mut seen = false;
        for n in page {
            if let Some(slot) = self.rows.get_mut(&n.id) {
                *slot = Some(n.clone());
                seen = true;
            }
        }
        seen
    }

    pub fn status(&self, id: &Uuid) -> Delivery {
        self.rows
            .get(id)
            .and_then(Option::as_ref)
            .map_or(Delivery::Unknown, |n| Delivery::parse(&n.status))
    }

    /// Every delivery delivered or failed for good.
    pub fn settled(&self) -> bool {
        self.rows.keys().all(|id| self.status(id).settled())
    }

    /// `2 delivered, 1 failed, 1 pending`.
    pub fn summary(&self) -> String {
        let mut counts: BTreeMap<Delivery, u64> = BTreeMap::new();
        for id in self.rows.keys() {
            *counts.entry(self.status(id)).or_default() += 1;
        }
        if counts.is_empty() {
            return "No relying party needed a back-channel notification.".into();
        }
        let parts: Vec<String> = counts
            .iter()
            .map(|(status, n)| format!("{n} {}", status.label()))
            .collect();
        format!("Back-channel logout: {}.", sentence_list(&parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(grants: u64, refresh: u64, codes: u64, sessions: u64, notes: u64) -> RevocationView {
        RevocationView {
            dry_run: true,
            grants,
            refresh_tokens: refresh,
            codes,
            sessions,
            notification_count: notes,
            notifications: Vec::new(),
            nothing_to_revoke: grants + refresh + codes + sessions == 0,
        }
    }

    #[test]
    fn a_dry_run_says_precisely_what_will_be_cut() {
        assert_eq!(
            dry_run_sentence(
                "Revoking the grant of alice to Billing",
                &view(1, 2, 1, 1, 2)
            ),
            "Revoking the grant of alice to Billing will revoke 1 grant, invalidate 2 refresh \
             tokens and 1 unused authorization code, end 1 sign-in session and send 2 back-channel \
             logout notifications to relying parties. Access tokens already issued stop passing \
             introspection at once and expire on their own."
        );
    }

    #[test]
    fn zeros_are_left_out_and_nothing_is_said_plainly() {
        assert_eq!(
            dry_run_sentence("Ending this session", &view(0, 0, 0, 1, 0)),
            "Ending this session will end 1 sign-in session."
        );
        assert_eq!(
            dry_run_sentence("Revoking", &view(0, 0, 0, 0, 0)),
            "Revoking would change nothing: there is nothing left to revoke."
        );
        assert_eq!(
            outcome_sentence(&view(1, 3, 0, 0, 0)),
            "Done: revoked 1 grant and invalidated 3 refresh tokens."
        );
    }

    fn note(id: Uuid, status: &str) -> NotificationView {
        NotificationView {
            id,
            kind: "backchannel_logout".into(),
            client: None,
            target: "https://rp.example/bc".into(),
            status: status.into(),
            attempts: 1,
            next_attempt_at: chrono::DateTime::default(),
            last_error: None,
            created_at: chrono::DateTime::default(),
            delivered_at: None,
        }
    }

    #[test]
    fn propagation_settles_when_every_delivery_is_delivered_or_failed() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut p = Propagation::new(&[a, b]);
        assert!(!p.settled());
        assert!(p.absorb(&[note(a, "delivered"), note(Uuid::from_u128(9), "failed")]));
        assert_eq!(p.status(&b), Delivery::Unknown);
        assert_eq!(
            p.summary(),
            "Back-channel logout: 1 delivered and 1 waiting."
        );
        p.absorb(&[note(b, "failed")]);
        assert!(p.settled());
        assert!(Propagation::new(&[]).settled());
    }
}
