//! The signed-out paths of mailed links: `GET|POST /account/forgot` (request a reset link, sent only
//! to a verified address: the same answer, in the same time, whether or not the account exists), `GET|POST /account/reset/{token}`
//! (choose a new password: every session ends) and `GET|POST /account/verify/{token}` (confirm an
//! address; a POST, so mail scanners opening the link do not use it up). Expired, used or unknown
//! links get one clear page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use valet_core::account::{AccountToken, LinkPurpose};
use valet_core::audit::{Actor, AuditEvent};
use valet_core::flow;
use valet_core::password::Password;
use valet_core::ports::{AccountStore, StoreError, UserStore};
use valet_core::random::OsRandom;
use valet_core::user::User;
use valet_mail::Template;

use super::security::{Through, check_new_password, set_password};
use super::{MAX_FIELD, finish};
use crate::http::throttle::{Attempt, Guarded, too_many};
use crate::mailer;
use crate::pages::{self, account};
use crate::state::AppState;

fn forgot_action(state: &AppState) -> String {
    state.config.issuer.endpoint("account/forgot")
}

/// `GET /account/forgot`.
pub async fn forgot_page(state: web::Data<AppState>) -> HttpResponse {
    account::forgot(&forgot_action(&state), None)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    identifier: String,
}

/// `POST /account/forgot`.
pub async fn forgot(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<ForgotForm>,
) -> HttpResponse {
    let identifier = form.identifier.trim();
    if identifier.is_empty() || identifier.len() > MAX_FIELD {
        return account::forgot(
            &forgot_action(&state),
            Some("Enter your username or email."),
        );
    }
    let now = state.clock.now();
    finish(
        async {
            let attempt =
                Attempt::from_browser(&state, &req, Guarded::MailRequest(identifier)).await?;
            if let Some(wait) = attempt.blocked(&state, now).await? {
                let message = "Too many requests. Wait a moment, then try again.";
                return Ok(too_many(
                    account::forgot(&forgot_action(&state), Some(message)),
                    wait,
                ));
            }
            attempt.failed(&state, now).await?;
            // The link is made and queued after the answer, so the answer's timing says nothing.
            let state = state.clone();
            let identifier = identifier.to_owned();
            actix_web::rt::spawn(async move {
                if let Err(e) = send_reset(&state, &identifier).await {
                    tracing::error!(error = %e, "cannot queue a password reset mail");
                }
            });
            Ok(account::forgot_sent())
        }
        .await,
    )
}

async fn send_reset(state: &AppState, identifier: &str) -> Result<(), StoreError> {
    let Some(user) = flow::find_account(&state.db, identifier)
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(());
    };
    // Only to a verified address: an address typed into a borrowed session must not receive it.
    let Some(email) = user
        .claims
        .email
        .clone()
        .filter(|_| user.claims.email_verified)
    else {
        return Ok(());
    };
    let now = state.clock.now();
    let purpose = LinkPurpose::ResetPassword;
    let (token, link) = AccountToken::issue(user.id, purpose, None, now, &OsRandom);
    let url = state
        .config
        .issuer
        .endpoint(&format!("account/reset/{}", link.expose()));
    let template = Template::ResetPassword {
        name: mailer::greeting_name(&user),
        link: &url,
        valid_minutes: purpose.lifetime().num_minutes(),
    };
    let mail = mailer::prepare(state, &user, &email, &template)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let event = AuditEvent::new(now, Actor::system(), "user.password_reset_requested")
        .target("user", user.id.to_string());
    state
        .db
        .issue_link(&token, &link.hash(), &mail, &event)
        .await?;
    state.outbox_queued.notify_one();
    Ok(())
}

pub(super) fn link_invalid(state: &AppState, purpose: LinkPurpose) -> HttpResponse {
    let (again, href) = match purpose {
        LinkPurpose::ResetPassword => ("Ask for a new link", forgot_action(state)),
        LinkPurpose::VerifyEmail | LinkPurpose::Activate => (
            "Go to your account",
            state.config.issuer.endpoint("account"),
        ),
    };
    pages::message_with_link(
        StatusCode::BAD_REQUEST,
        "This link is no longer valid",
        "The link has expired, was already used, or is not one we sent.",
        (again, &href),
    )
}

/// The usable link of `purpose` named by the URL, and its user: enabled, except for an activation,
/// whose account is disabled until the link is used.
pub(super) async fn usable_link(
    state: &AppState,
    token: &str,
    purpose: LinkPurpose,
) -> Result<Option<(AccountToken, User)>, StoreError> {
    if token.len() > 128 {
        return Ok(None);
    }
    let hash = valet_core::account::AccountLink::parse(token).hash();
    let now = state.clock.now();
    let Some(link) = state
        .db
        .find_link(&hash, purpose)
        .await?
        .filter(|l| l.usable(now))
    else {
        return Ok(None);
    };
    let user = state
        .db
        .find_user_by_id(link.user_id)
        .await?
        .filter(|u| u.disabled == (purpose == LinkPurpose::Activate));
    Ok(user.map(|u| (link, u)))
}

/// `GET /account/reset/{token}`.
pub async fn reset_page(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    finish(
        async {
            let action = state
                .config
                .issuer
                .endpoint(&format!("account/reset/{token}"));
            Ok(
                match usable_link(&state, &token, LinkPurpose::ResetPassword).await? {
                    Some(_) => {
                        account::reset_form(&action, state.config.account.password.min_length, None)
                    }
                    None => link_invalid(&state, LinkPurpose::ResetPassword),
                },
            )
        }
        .await,
    )
}

/// The form behind a link that sets a password (a reset, an activation).
#[derive(Deserialize)]
pub struct NewPasswordForm {
    pub(super) new_password: String,
}

/// `POST /account/reset/{token}`.
pub async fn reset(
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<NewPasswordForm>,
) -> HttpResponse {
    finish(
        async {
            let Some((link, user)) =
                usable_link(&state, &token, LinkPurpose::ResetPassword).await?
            else {
                return Ok(link_invalid(&state, LinkPurpose::ResetPassword));
            };
            let password = Password::new(form.new_password.clone());
            if let Err(refused) = check_new_password(&state, &user, &password) {
                let action = state
                    .config
                    .issuer
                    .endpoint(&format!("account/reset/{token}"));
                return Ok(account::reset_form(
                    &action,
                    state.config.account.password.min_length,
                    Some(&refused),
                ));
            }
            // The link is spent in the password's own transaction: a failure leaves it usable.
            if !set_password(&state, &user, &password, Through::ResetLink(link.id)).await? {
                return Ok(link_invalid(&state, LinkPurpose::ResetPassword));
            }
            Ok(pages::message_with_link(
                StatusCode::OK,
                "Your password is changed",
                "Every session of your account was signed out. Sign in with your new password.",
                ("Sign in", &state.config.issuer.endpoint("account")),
            ))
        }
        .await,
    )
}

/// A verification link opened in a browser signed in to another account is refused: the account
/// that asked for the address is not this browser's user's, so following it would put their
/// address, verified, on someone else's account.
async fn for_another_account(
    state: &AppState,
    req: &HttpRequest,
    user: &User,
) -> Result<Option<HttpResponse>, StoreError> {
    let Some(signed) = super::signed_in(state, req).await? else {
        return Ok(None);
    };
    if signed.user.id == user.id {
        return Ok(None);
    }
    Ok(Some(pages::message_with_link(
        StatusCode::FORBIDDEN,
        "This link is for another account",
        &format!(
            "You are signed in as {}, but this link would add the address to the account {}. \
             If that account is yours too, sign out, then open the link again.",
            signed.user.username.as_str(),
            user.username.as_str()
        ),
        (
            "Go to your account",
            &state.config.issuer.endpoint("account"),
        ),
    )))
}

/// `GET /account/verify/{token}`.
pub async fn verify_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    finish(
        async {
            let action = state
                .config
                .issuer
                .endpoint(&format!("account/verify/{token}"));
            let Some((link, user)) = usable_link(&state, &token, LinkPurpose::VerifyEmail).await?
            else {
                return Ok(link_invalid(&state, LinkPurpose::VerifyEmail));
            };
            if let Some(refused) = for_another_account(&state, &req, &user).await? {
                return Ok(refused);
            }
            Ok(account::verify_form(
                &action,
                link.email.as_deref().unwrap_or(""),
                user.username.as_str(),
            ))
        }
        .await,
    )
}

/// `POST /account/verify/{token}`.
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    finish(
        async {
            let Some((link, user)) = usable_link(&state, &token, LinkPurpose::VerifyEmail).await?
            else {
                return Ok(link_invalid(&state, LinkPurpose::VerifyEmail));
            };
            if let Some(refused) = for_another_account(&state, &req, &user).await? {
                return Ok(refused);
            }
            let now = state.clock.now();
            let email = link.email.clone().unwrap_or_default();
            let event = AuditEvent::new(now, Actor::user(user.id), "user.email_verified")
                .target("user", user.id.to_string());
            let verified = state
                .db
                .verify_email(link.id, user.id, &email, now, &event)
                .await?;
            if !verified {
                return Ok(link_invalid(&state, LinkPurpose::VerifyEmail));
            }
            Ok(pages::message_with_link(
                StatusCode::OK,
                "Your email address is verified",
                &format!(
                    "{email} is verified. Applications you sign in to will see it as verified."
                ),
                (
                    "Go to your account",
                    &state.config.issuer.endpoint("account"),
                ),
            ))
        }
        .await,
    )
}
