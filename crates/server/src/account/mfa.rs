//! Two-step verification on the account page: `POST /account/mfa/setup` (a new secret, shown as a
//! QR code and in text), `POST /account/mfa/confirm` (the first code proves the app has it; the
//! recovery codes are shown once), `POST /account/mfa/recovery-codes` (a new set) and
//! `POST /account/mfa/remove` (asks for the password); and an administrator's reset
//! (`reset_by_admin`, for the admin API and the command line).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use valet_core::audit::{Actor, AuditEvent};
use valet_core::issuer::Issuer;
use valet_core::keys::{KeyError, MasterKey};
use valet_core::mfa::{self, TotpSecret, otpauth_uri, qr, recovery};
use valet_core::ports::{SecondFactorStore, StoreError};
use valet_core::random::OsRandom;
use valet_core::revocation::Cascade;
use valet_core::secret::SecretHash;
use valet_core::user::User;
use valet_mail::Template;

use super::{Refusals, Signed, back, confirm_secret, finish};
use crate::delivery::run_cascade;
use crate::http::forms::CodeForm;
use crate::http::throttle::{Attempt, Guarded, too_many};
use crate::mailer;
use crate::pages::{self, account::EnrolView};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
}

/// A change to a second factor that is on: the password and a current code (or a recovery code).
#[derive(Deserialize)]
pub struct FactorForm {
    csrf: String,
    current_password: String,
    #[serde(default)]
    code: String,
}

/// Checks the code typed to confirm a change to the second factor (a TOTP or recovery code),
/// throttled like the sign-in's code step; `Err` is the page to answer with.
async fn confirm_code(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    code: &str,
) -> Result<(), HttpResponse> {
    let user = &signed.user;
    let attempt = Attempt::new(state, req, Guarded::SecondFactor(user.id));
    let right = crate::http::second_factor::check_code(state, user, code, state.clock.now());
    let refusals = Refusals {
        blocked: "Too many wrong codes. Wait a moment, then try again.",
        wrong: "That code is not right. Enter the current code from your authenticator app, or \
                one of your recovery codes.",
    };
    confirm_secret(state, signed, &attempt, refusals, right).await
}

/// `POST /account/mfa/setup`: asks for the password, so a borrowed session cannot put its own
/// authenticator on the account.
pub async fn setup(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    let signed = signed_form!(&state, &req, &form.csrf, password: &form.current_password);
    finish(
        async {
            let user = &signed.user;
            let secret = TotpSecret::generate(&OsRandom);
            let sealed = mfa::seal_secret(state.master_key(), &OsRandom, user.id, &secret)
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            if !state.db.begin_totp(user.id, &sealed).await? {
                return Ok(back(&state, "mfa"));
            }
            Ok(enrol_page(&state, &signed, &secret, None))
        }
        .await,
    )
}

fn enrol_page(
    state: &AppState,
    signed: &Signed,
    secret: &TotpSecret,
    error: Option<&str>,
) -> HttpResponse {
    let action = state.config.issuer.endpoint("account/mfa/confirm");
    setup_page(state, &signed.user, secret, &action, &signed.csrf(), error)
}

/// The setup page of `secret` for `user` (a QR code and the key in text), confirming to `action`;
/// also shown during a sign-in that requires two-step verification.
pub(crate) fn setup_page(
    state: &AppState,
    user: &User,
    secret: &TotpSecret,
    action: &str,
    csrf: &str,
    error: Option<&str>,
) -> HttpResponse {
    let uri = otpauth_uri(secret, &state.config.issuer.host(), user.username.as_str());
    let svg = qr::svg(&uri).unwrap_or_default();
    pages::account::enrol(&EnrolView {
        action,
        csrf,
        qr_svg: &svg,
        secret: &secret.to_base32(),
        error,
    })
}

/// `POST /account/mfa/confirm`.
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let signed = signed_form!(&state, &req, &form.csrf);
    let now = state.clock.now();
    finish(
        async {
            let user = &signed.user;
            let factor = state.db.mfa(user.id).await?;
            let pending = factor.totp_sealed.as_deref().filter(|_| !factor.enabled());
            let Some(sealed) = pending else {
                return Ok(back(&state, "mfa"));
            };
            let secret = mfa::open_secret(state.master_key(), user.id, sealed)
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            let attempt = Attempt::new(&state, &req, Guarded::SecondFactor(user.id));
            if let Some(wait) = attempt.blocked(&state, now).await? {
                let message = "Too many wrong codes. Wait a moment, then try again.";
                return Ok(too_many(
                    enrol_page(&state, &signed, &secret, Some(message)),
                    wait,
                ));
            }
            let Ok(step) = mfa::verify(&secret, &form.code, now, None) else {
                attempt.failed(&state, now).await?;
                let message = "That code is not right. Enter the code your app shows now.";
                return Ok(enrol_page(&state, &signed, &secret, Some(message)));
            };
            let (codes, hashes) = new_recovery_codes(user);
            let event = AuditEvent::new(now, Actor::user(user.id), "user.mfa_enabled")
                .target("user", user.id.to_string());
            if !state
                .db
                .confirm_totp(user.id, sealed, step, &hashes, now, &event)
                .await?
            {
                return Ok(back(&state, "mfa"));
            }
            attempt.succeeded(&state).await?;
            // Sessions signed in with the password alone, elsewhere, must sign in again with it.
            let others = Cascade::credentials_changed(
                user.id,
                Some(signed.session.id),
                "two-step verification turned on",
            );
            run_cascade(&state, &others, Actor::user(user.id), false).await?;
            Ok(shown_once(&state, &codes))
        }
        .await,
    )
}

pub(crate) fn new_recovery_codes(user: &User) -> (Vec<String>, Vec<SecretHash>) {
    recovery::generate_set(&OsRandom)
        .iter()
        .map(|c| (c.expose(), c.hash(user.id)))
        .unzip()
}

/// The recovery codes (every page is sent `no-store`, so they are not kept by the browser).
fn shown_once(state: &AppState, codes: &[String]) -> HttpResponse {
    pages::account::recovery_codes(codes, &state.config.issuer.endpoint("account?done=mfa"))
}

/// `POST /account/mfa/recovery-codes` (asks for the password and a code; the user is told by
/// mail).
pub async fn regenerate(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<FactorForm>,
) -> HttpResponse {
    let signed = signed_form!(&state, &req, &form.csrf, password: &form.current_password);
    if let Err(page) = confirm_code(&state, &req, &signed, &form.code).await {
        return page;
    }
    finish(
        async {
            let user = &signed.user;
            if !state.db.mfa(user.id).await?.enabled() {
                return Ok(back(&state, "mfa-removed"));
            }
            let (codes, hashes) = new_recovery_codes(user);
            let now = state.clock.now();
            let event = AuditEvent::new(now, Actor::user(user.id), "user.recovery_codes_renewed")
                .target("user", user.id.to_string());
            state
                .db
                .replace_recovery_codes(user.id, &hashes, now, &event)
                .await?;
            let template = Template::RecoveryCodesRenewed {
                name: mailer::greeting_name(user),
            };
            // The codes are renewed (and shown only now) whether or not the notice can be queued.
            let (actor, action) = (Actor::user(user.id), "mail.recovery_codes_renewed");
            mailer::queue_notice(&state, user, &template, actor, action).await;
            Ok(shown_once(&state, &codes))
        }
        .await,
    )
}

/// `POST /account/mfa/remove` (asks for the password and a code; the user is told by mail).
pub async fn remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<FactorForm>,
) -> HttpResponse {
    let signed = signed_form!(&state, &req, &form.csrf, password: &form.current_password);
    if let Err(page) = confirm_code(&state, &req, &signed, &form.code).await {
        return page;
    }
    finish(
        async {
            let user = &signed.user;
            let now = state.clock.now();
            let event = AuditEvent::new(now, Actor::user(user.id), "user.mfa_removed")
                .target("user", user.id.to_string());
            // The user is told by mail, in the change's own transaction: a stranger in a borrowed
            // session does not turn it off unnoticed.
            let notice = match &user.claims.email {
                Some(email) => {
                    let template = Template::MfaRemoved {
                        name: mailer::greeting_name(user),
                    };
                    let mail = mailer::prepare(&state, user, email, &template)
                        .map_err(|e| StoreError::Backend(e.to_string()))?;
                    let queued = AuditEvent::new(now, Actor::user(user.id), "mail.mfa_removed")
                        .target("user", user.id.to_string());
                    Some((mail, queued))
                }
                None => None,
            };
            let notice_ref = notice.as_ref().map(|(mail, queued)| (mail, queued));
            if state
                .db
                .remove_mfa(user.id, now, &event, notice_ref)
                .await?
                && notice.is_some()
            {
                state.outbox_queued.notify_one();
            }
            Ok(back(&state, "mfa-removed"))
        }
        .await,
    )
}

/// Why an administrator's reset of a user's two-step verification did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("two-step verification is not on for this user")]
    NotOn,
    /// The user has an address to tell, but no master key that opens their secret is at hand: a
    /// notice sealed under another key could never be sent.
    #[error(
        "cannot seal the notice to {0}: this needs the server's master key (VALET_MASTER_KEY or its file, as `valet serve` uses)"
    )]
    NoMasterKey(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An administrator (`actor`: the admin API's caller or the command line) turns off `user`'s
/// two-step verification, e.g. after they lost their app and recovery codes. A user with an
/// address is told by mail, the notice queued in the same transaction as the change. Returns the
/// address told.
pub async fn reset_by_admin(
    db: &dyn SecondFactorStore,
    master: Option<&MasterKey>,
    issuer: &Issuer,
    now: DateTime<Utc>,
    user: &User,
    actor: Actor,
) -> Result<Option<String>, ResetError> {
    let factor = db.mfa(user.id).await?;
    let Some(sealed) = factor.totp_sealed.as_deref().filter(|_| factor.enabled()) else {
        return Err(ResetError::NotOn);
    };
    let notice = match &user.claims.email {
        Some(email) => {
            let master = master
                .filter(|key| mfa::open_secret(key, user.id, sealed).is_ok())
                .ok_or_else(|| ResetError::NoMasterKey(email.clone()))?;
            let template = Template::MfaReset {
                name: mailer::greeting_name(user),
            };
            let mail = mailer::compose(master, issuer, now, user, email, &template)?;
            let queued = AuditEvent::new(now, actor.clone(), "mail.mfa_reset")
                .target("user", user.id.to_string());
            Some((mail, queued))
        }
        None => None,
    };
    let event = AuditEvent::new(now, actor, "user.mfa_reset").target("user", user.id.to_string());
    let notice_ref = notice.as_ref().map(|(mail, queued)| (mail, queued));
    if !db.remove_mfa(user.id, now, &event, notice_ref).await? {
        return Err(ResetError::NotOn);
    }
    Ok(notice.and(user.claims.email.clone()))
}
