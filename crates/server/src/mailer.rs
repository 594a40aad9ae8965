//! Mail from the server. A request renders its message (`valet_mail::render`) and queues it in the
//! durable outbox, sealed under the master key because it may carry a one-time link; the outbox
//! worker opens and sends it (`crate::delivery`), retrying on failure. A request never waits for
//! SMTP.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use valet_core::account::QueuedMail;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::issuer::Issuer;
use valet_core::keys::{KeyError, MasterKey, SealedKey};
use valet_core::ports::{AccountStore, StoreError};
use valet_core::random::OsRandom;
use valet_core::user::User;
use valet_mail::{Locale, Mail, Template, render};

use crate::state::AppState;

/// Associated data: a sealed body only opens as the outbox row it was queued as.
fn aad(id: Uuid) -> String {
    format!("mail:{id}")
}

/// Renders `template` for `user` (in their `locale` claim's language) to `to`, sealed for the outbox.
pub fn prepare(
    state: &AppState,
    user: &User,
    to: &str,
    template: &Template<'_>,
) -> Result<QueuedMail, KeyError> {
    let (master, issuer, now) = (state.master_key(), &state.config.issuer, state.clock.now());
    compose(master, issuer, now, user, to, template)
}

/// `prepare` for code without an `AppState` (the command line).
pub fn compose(
    master: &MasterKey,
    issuer: &Issuer,
    now: DateTime<Utc>,
    user: &User,
    to: &str,
    template: &Template<'_>,
) -> Result<QueuedMail, KeyError> {
    let locale = Locale::negotiate(user.claims.locale.as_deref());
    let mail = render(template, locale, &issuer.host(), to);
    seal(master, &mail, now)
}

/// Queues `template`, a notice after a change that already happened, to the user's address if
/// they have one, with an event `action` by `actor`. A notice that cannot be queued is logged, not
/// returned: the change stands, and answering it as a failure would have the user retry it.
pub async fn queue_notice(
    state: &AppState,
    user: &User,
    template: &Template<'_>,
    actor: Actor,
    action: &'static str,
) {
    let Some(email) = &user.claims.email else {
        return;
    };
    let queued = async {
        let mail = prepare(state, user, email, template)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let event =
            AuditEvent::new(state.clock.now(), actor, action).target("user", user.id.to_string());
        state.db.queue_mail(&mail, &event).await
    };
    match queued.await {
        Ok(()) => state.outbox_queued.notify_one(),
        Err(e) => tracing::error!(user = %user.id, ?template, error = %e, "cannot queue a notice"),
    }
}

/// The name a message greets the user by.
pub fn greeting_name(user: &User) -> &str {
    user.claims
        .given_name
        .as_deref()
        .or(user.claims.name.as_deref())
        .unwrap_or(user.username.as_str())
}

fn seal(master: &MasterKey, mail: &Mail, now: DateTime<Utc>) -> Result<QueuedMail, KeyError> {
    let id = Uuid::now_v7();
    let json = serde_json::to_vec(mail).map_err(|e| KeyError::Crypto(e.to_string()))?;
    let sealed = master.seal(&OsRandom, &aad(id), &json)?;
    Ok(QueuedMail {
        id,
        to: mail.to.clone(),
        sealed: format!(
            "v1.{}.{}",
            URL_SAFE_NO_PAD.encode(&sealed.nonce),
            URL_SAFE_NO_PAD.encode(&sealed.ciphertext)
        ),
        queued_at: now,
    })
}

/// The message queued as outbox row `id`.
pub fn open(master: &MasterKey, id: Uuid, payload: &str) -> Result<Mail, String> {
    let mut parts = payload.split('.');
    let (Some("v1"), Some(nonce), Some(ciphertext), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a sealed mail".into());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string());
    let sealed = SealedKey {
        nonce: decode(nonce)?,
        ciphertext: decode(ciphertext)?,
    };
    let json = master
        .open(&aad(id), &sealed)
        .map_err(|_| "the sealed mail does not open with this master key".to_owned())?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail {
            to: "alice@example.com".into(),
            subject: "Reset".into(),
            text: "https://id.example/reset/secret".into(),
            html: "<p>x</p>".into(),
        }
    }

    #[test]
    fn a_queued_mail_is_sealed_and_opens_only_as_its_own_row() {
        let key = MasterKey::generate(&OsRandom);
        let queued = seal(&key, &mail(), chrono::Utc::now()).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !queued.sealed.contains("secret"),
            "no link in clear at rest"
        );
        assert_eq!(open(&key, queued.id, &queued.sealed), Ok(mail()));
        assert!(open(&key, Uuid::now_v7(), &queued.sealed).is_err());
        assert!(open(&MasterKey::generate(&OsRandom), queued.id, &queued.sealed).is_err());
        assert!(open(&key, queued.id, "v1.x").is_err());
    }
}
