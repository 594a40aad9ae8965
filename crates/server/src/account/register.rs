//! Self-registration (`[account] self_registration = true`; off by default): `GET|POST
//! /account/register` takes only an email address, creates a disabled account without a password
//! whose username is that address, and mails an activation link; `GET|POST
//! /account/activate/{token}` lets the mailbox's owner choose the password, then enables the
//! account and marks the address verified, in one transaction. Whoever signs up someone else's
//! address never knows the password of the account it becomes. An address already in use gets the
//! same answer, in the same time, as a fresh one, and nothing is created; an activation left unused
//! frees the address after 24 hours (housekeeping).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;
use valet_core::account::{AccountToken, LinkPurpose};
use valet_core::audit::{Actor, AuditEvent};
use valet_core::password::Password;
use valet_core::ports::{AccountStore, StoreError, UserStore};
use valet_core::random::OsRandom;
use valet_core::user::{StandardClaims, User, Username};
use valet_mail::Template;

use super::recovery::{NewPasswordForm, link_invalid, usable_link};
use super::security::check_new_password;
use super::{MAX_FIELD, finish};
use crate::http::throttle::{Attempt, Guarded, too_many};
use crate::mailer;
use crate::pages::{self, account};
use crate::startup::hash_password;
use crate::state::AppState;

fn disabled() -> HttpResponse {
    pages::error(
        StatusCode::NOT_FOUND,
        "Sign-up is not available",
        "Accounts are created by an administrator here.",
    )
}

fn action(state: &AppState) -> String {
    state.config.issuer.endpoint("account/register")
}

/// `GET /account/register`.
pub async fn register_page(state: web::Data<AppState>) -> HttpResponse {
    if !state.config.account.self_registration {
        return disabled();
    }
    account::register(&action(&state), None, None)
}

#[derive(Deserialize)]
pub struct RegisterForm {
    email: String,
}

/// `POST /account/register`.
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<RegisterForm>,
) -> HttpResponse {
    if !state.config.account.self_registration {
        return disabled();
    }
    let action = action(&state);
    let refuse = |message: &str| account::register(&action, Some(&form.email), Some(message));
    if form.email.len() > MAX_FIELD {
        return refuse("A field is too long.");
    }
    let email = form.email.trim().to_lowercase();
    let claims = StandardClaims {
        email: Some(email.clone()),
        ..Default::default()
    };
    let username = Username::parse(&email);
    let (Ok(username), Ok(())) = (username, claims.check()) else {
        return refuse("Enter a valid email address (at most 64 characters).");
    };
    let now = state.clock.now();
    let user = User {
        id: Uuid::now_v7(),
        username,
        password_hash: None,
        disabled: true,
        claims,
        roles: Default::default(),
        created_at: now,
        updated_at: now,
        second_factor: false,
    };
    let attempt = Attempt::new(&state, &req, Guarded::MailRequest(&email));
    finish(
        async {
            if let Some(wait) = attempt.blocked(&state, now).await? {
                return Ok(too_many(
                    refuse("Too many sign-ups. Wait a moment, then try again."),
                    wait,
                ));
            }
            attempt.failed(&state, now).await?;
            // Created after the answer, so the answer's timing does not tell whether the address
            // was in use.
            let background = state.clone();
            actix_web::rt::spawn(async move {
                let created = match in_use(&background, &user).await {
                    Ok(false) => create(&background, user).await,
                    Ok(true) => Ok(()),
                    Err(e) => Err(e),
                };
                if let Err(e) = created {
                    tracing::error!(error = %e, "cannot create a self-registered account");
                }
            });
            Ok(account::registered(&form.email))
        }
        .await,
    )
}

/// Whether the address is someone's username or email already.
async fn in_use(state: &AppState, user: &User) -> Result<bool, StoreError> {
    let email = user.claims.email.as_deref().unwrap_or_default();
    Ok(state.db.find_user(&user.username).await?.is_some()
        || state.db.find_user_by_email(email).await?.is_some())
}

async fn create(state: &AppState, user: User) -> Result<(), StoreError> {
    let now = state.clock.now();
    let event = AuditEvent::new(now, Actor::user(user.id), "user.registered")
        .target("user", user.id.to_string());
    match state.db.insert_user(&user, &event).await {
        // Taken in the meantime: the answer stays the same.
        Err(StoreError::Conflict(_)) => return Ok(()),
        other => other?,
    }
    let email = user.claims.email.clone().unwrap_or_default();
    let purpose = LinkPurpose::Activate;
    let (token, link) = AccountToken::issue(user.id, purpose, Some(email.clone()), now, &OsRandom);
    let url = state
        .config
        .issuer
        .endpoint(&format!("account/activate/{}", link.expose()));
    let template = Template::ActivateAccount {
        name: mailer::greeting_name(&user),
        link: &url,
        valid_minutes: purpose.lifetime().num_minutes(),
    };
    let mail = mailer::prepare(state, &user, &email, &template)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let sent = AuditEvent::new(now, Actor::system(), "user.activation_sent")
        .target("user", user.id.to_string());
    state
        .db
        .issue_link(&token, &link.hash(), &mail, &sent)
        .await?;
    state.outbox_queued.notify_one();
    Ok(())
}

fn activate_action(state: &AppState, token: &str) -> String {
    state
        .config
        .issuer
        .endpoint(&format!("account/activate/{token}"))
}

/// `GET /account/activate/{token}`.
pub async fn activate_page(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    finish(
        async {
            Ok(
                match usable_link(&state, &token, LinkPurpose::Activate).await? {
                    Some((link, _)) => account::activate_form(
                        &activate_action(&state, &token),
                        link.email.as_deref().unwrap_or(""),
                        state.config.account.password.min_length,
                        None,
                    ),
                    None => link_invalid(&state, LinkPurpose::Activate),
                },
            )
        }
        .await,
    )
}

/// `POST /account/activate/{token}`: the password, checked like any new one.
pub async fn activate(
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<NewPasswordForm>,
) -> HttpResponse {
    finish(
        async {
            let Some((link, user)) = usable_link(&state, &token, LinkPurpose::Activate).await?
            else {
                return Ok(link_invalid(&state, LinkPurpose::Activate));
            };
            let email = link.email.clone().unwrap_or_default();
            let password = Password::new(form.new_password.clone());
            if let Err(refused) = check_new_password(&state, &user, &password) {
                return Ok(account::activate_form(
                    &activate_action(&state, &token),
                    &email,
                    state.config.account.password.min_length,
                    Some(&refused),
                ));
            }
            let hash = hash_password(password)
                .await
                .map_err(|e| StoreError::Backend(e.to_string()))?;
            let now = state.clock.now();
            let event = AuditEvent::new(now, Actor::user(user.id), "user.activated")
                .target("user", user.id.to_string());
            let done = state
                .db
                .activate_user(link.id, user.id, &email, &hash, now, &event)
                .await?;
            if !done {
                return Ok(link_invalid(&state, LinkPurpose::Activate));
            }
            Ok(pages::message_with_link(
                StatusCode::OK,
                "Your account is ready",
                "Your email address is verified and your account is active.",
                ("Sign in", &state.config.issuer.endpoint("account")),
            ))
        }
        .await,
    )
}
