//! The account's profile and credentials: `POST /account/profile` (allowed claims; a new email
//! address is unverified until its link is used), `POST /account/email/verify` (mail a link) and
//! `POST /account/password` (NIST SP 800-63B rules; every other session ends).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use valet_core::account::{AccountToken, LinkPurpose};
use valet_core::audit::{Actor, AuditEvent};
use valet_core::password::Password;
use valet_core::ports::{AccountStore, StoreError, UserStore};
use valet_core::random::OsRandom;
use valet_core::revocation::Cascade;
use valet_core::user::{StandardClaims, User, email_key};
use valet_mail::Template;

use super::entry::render;
use super::{MAX_FIELD, Signed, back, confirm_password, finish};
use crate::http::forms::CsrfForm;
use crate::http::throttle::{Attempt, Guarded, too_many};
use crate::mailer;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ProfileForm {
    csrf: String,
    name: String,
    given_name: String,
    family_name: String,
    email: String,
    locale: String,
    zoneinfo: String,
    /// Needed only to change the email address.
    #[serde(default)]
    current_password: String,
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// `POST /account/profile`.
pub async fn profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<ProfileForm>,
) -> HttpResponse {
    let signed = signed_form!(&state, &req, &form.csrf);
    finish(
        async {
            let fields = [
                &form.name,
                &form.given_name,
                &form.family_name,
                &form.email,
                &form.locale,
                &form.zoneinfo,
            ];
            if fields.iter().any(|f| f.len() > MAX_FIELD) {
                return render(&state, &signed, None, Some("A field is too long.")).await;
            }
            let mut user = signed.user.clone();
            let claims = &mut user.claims;
            let email = optional(&form.email);
            let new_email =
                email.filter(|e| Some(email_key(e)) != claims.email.as_deref().map(email_key));
            claims.name = optional(&form.name);
            claims.given_name = optional(&form.given_name);
            claims.family_name = optional(&form.family_name);
            claims.locale = optional(&form.locale);
            claims.zoneinfo = optional(&form.zoneinfo);
            let candidate = StandardClaims {
                email: new_email.clone(),
                ..claims.clone()
            };
            if let Err((field, e)) = candidate.check() {
                let message = format!("{field}: {e}");
                return render(&state, &signed, None, Some(&message)).await;
            }
            if let Some(address) = &new_email {
                if let Err(page) =
                    confirm_password(&state, &req, &signed, &form.current_password).await
                {
                    return Ok(page);
                }
                if let Some(page) = mail_refused(&state, &req, &signed, address).await? {
                    return Ok(page);
                }
            }
            let now = state.clock.now();
            let event = AuditEvent::new(now, Actor::user(user.id), "user.profile_updated")
                .target("user", user.id.to_string());
            state
                .db
                .update_profile(user.id, &user.claims, now, &event)
                .await?;
            // The new address replaces the current one once its owner confirms it. Its link is
            // made after the answer, so neither the answer nor its timing tells whether another
            // account uses the address (which gets no mail: its link could not verify it anyway).
            if let Some(address) = new_email {
                let background = state.clone();
                actix_web::rt::spawn(async move {
                    if let Err(e) = verify_if_free(&background, &user, &address, now).await {
                        tracing::error!(error = %e, "cannot queue an email verification mail");
                    }
                });
                return Ok(back(&state, "email-pending"));
            }
            Ok(back(&state, "profile"))
        }
        .await,
    )
}

/// `POST /account/email/verify`.
pub async fn request_verification(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let signed = signed_form!(&state, &req, &form.csrf);
    let user = &signed.user;
    let Some(email) = user
        .claims
        .email
        .as_deref()
        .filter(|_| !user.claims.email_verified)
    else {
        return back(&state, "verification");
    };
    finish(
        async {
            if let Some(page) = mail_refused(&state, &req, &signed, email).await? {
                return Ok(page);
            }
            let actor = Actor::user(user.id);
            send_verification(&state, user, email, actor, state.clock.now()).await?;
            Ok(back(&state, "verification"))
        }
        .await,
    )
}

/// Counts a verification mail the user asks for, to `address`, like a reset request (each counts,
/// per address and per client address): the page refusing it while either is blocked, so an
/// account cannot be used to flood an inbox.
async fn mail_refused(
    state: &AppState,
    req: &HttpRequest,
    signed: &Signed,
    address: &str,
) -> Result<Option<HttpResponse>, StoreError> {
    let now = state.clock.now();
    let attempt = Attempt::new(state, req, Guarded::MailRequest(address));
    if let Some(wait) = attempt.blocked(state, now).await? {
        let message = "Too many verification mails. Wait a moment, then try again.";
        let page = render(state, signed, None, Some(message)).await?;
        return Ok(Some(too_many(page, wait)));
    }
    attempt.failed(state, now).await?;
    Ok(None)
}

/// Mails the link for the profile's new `address`, unless another account uses it.
async fn verify_if_free(
    state: &AppState,
    user: &User,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let taken = state
        .db
        .find_user_by_email(address)
        .await?
        .is_some_and(|other| other.id != user.id);
    if taken {
        return Ok(());
    }
    send_verification(state, user, address, Actor::user(user.id), now).await
}

/// Mails a link that makes `email` the user's verified address, on behalf of `actor` (the user,
/// or an administrator).
pub(crate) async fn send_verification(
    state: &AppState,
    user: &User,
    email: &str,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let purpose = LinkPurpose::VerifyEmail;
    let (token, link) =
        AccountToken::issue(user.id, purpose, Some(email.to_owned()), now, &OsRandom);
    let url = state
        .config
        .issuer
        .endpoint(&format!("account/verify/{}", link.expose()));
    let template = Template::VerifyEmail {
        name: mailer::greeting_name(user),
        account: user.username.as_str(),
        link: &url,
        valid_minutes: purpose.lifetime().num_minutes(),
    };
    let mail = mailer::prepare(state, user, email, &template)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let event = AuditEvent::new(now, actor, "user.email_verification_sent")
        .target("user", user.id.to_string());
    state
        .db
        .issue_link(&token, &link.hash(), &mail, &event)
        .await?;
    state.outbox_queued.notify_one();
    Ok(())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

/// `POST /account/password`.
pub async fn password(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    let signed = signed_form!(&state, &req, &form.csrf, password: &form.current_password);
    finish(
        async {
            let new = Password::new(form.new_password.clone());
            if let Err(refused) = check_new_password(&state, &signed.user, &new) {
                return render(&state, &signed, None, Some(&refused)).await;
            }
            set_password(
                &state,
                &signed.user,
                &new,
                Through::Session(signed.session.id),
            )
            .await?;
            Ok(back(&state, "password"))
        }
        .await,
    )
}

/// The password rules (`[account]`), with the user's own names as context; the message to show.
pub(crate) fn check_new_password(
    state: &AppState,
    user: &User,
    password: &Password,
) -> Result<(), String> {
    let mut context = vec![user.username.as_str()];
    if let Some(email) = &user.claims.email {
        context.push(email);
    }
    state
        .config
        .account
        .password
        .check(password, &context)
        .map_err(|e| e.to_string())
}

/// Where a new password comes from: the account page of a signed-in session (which stays), or a
/// reset link (spent with it).
pub(crate) enum Through {
    Session(uuid::Uuid),
    ResetLink(uuid::Uuid),
}

/// Sets the password and ends every other session, with the tokens bound to them (the revocation
/// cascade), then tells the user by mail. False when it came through a reset link that is no
/// longer usable (spent by another request meanwhile, or expired): then nothing changed.
pub(crate) async fn set_password(
    state: &web::Data<AppState>,
    user: &User,
    password: &Password,
    through: Through,
) -> Result<bool, StoreError> {
    let hash = crate::startup::hash_password(password.clone())
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let plan = match through {
        Through::Session(keep) => Cascade::set_password(user.id, hash, Some(keep)),
        Through::ResetLink(link) => Cascade::reset_password(user.id, hash, link),
    };
    let report = crate::delivery::run_cascade(state, &plan, Actor::user(user.id), false).await?;
    if !report.account_changed {
        return Ok(false);
    }
    // The password has changed (and the link, if any, is spent) whether or not the notice can
    // be queued.
    let template = Template::PasswordChanged {
        name: mailer::greeting_name(user),
    };
    mailer::queue_notice(
        state,
        user,
        &template,
        Actor::system(),
        "mail.password_changed",
    )
    .await;
    Ok(true)
}
