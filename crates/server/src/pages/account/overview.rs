//! `GET /account`: who you are, how you sign in, where you are signed in, and which apps you let in.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use uuid::Uuid;
use valet_core::account::MfaState;
use valet_core::client::Client;
use valet_core::ports::GrantSummary;
use valet_core::session::Session;
use valet_core::user::User;

use super::sections;
use crate::pages::{escape, html};

pub struct AccountView<'a> {
    /// `{issuer}/account`: every form posts below it.
    pub action: &'a str,
    pub csrf: &'a str,
    pub user: &'a User,
    pub current_session: Uuid,
    pub mfa: &'a MfaState,
    /// The password rules' minimum length, for the form's hint.
    pub password_min: usize,
    pub sessions: &'a [Session],
    pub apps: &'a [(&'a GrantSummary, &'a Client)],
    /// What the last action did (`?done=`), shown as a notice.
    pub done: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// The notice for `?done=`: only known words are shown, so a link cannot put text on the page.
fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "profile" => "Your profile is saved.",
        "password" => "Your password is changed. Your other sessions were signed out.",
        "verification" => "We sent a verification link to your email address.",
        "email-pending" => {
            "We sent a link to your new address. It replaces the current one once you open it."
        }
        "mfa" => "Two-step verification is on.",
        "mfa-removed" => "Two-step verification is off.",
        "session" => "The session was signed out.",
        "sessions" => "All your other sessions were signed out.",
        "revoked" => "The app's access was revoked. It was signed out everywhere.",
        _ => return None,
    })
}

pub fn overview(view: &AccountView) -> HttpResponse {
    let mut body = String::new();
    if let Some(text) = view.done.and_then(notice) {
        body.push_str(&format!("<p class=\"notice\" role=\"status\">{text}</p>\n"));
    }
    if let Some(error) = view.error {
        body.push_str(&format!(
            "<p class=\"alert\" role=\"alert\">{}</p>\n",
            escape(error)
        ));
    }
    body.push_str(&format!(
        "<p class=\"muted\">Signed in as <strong>{}</strong>.</p>\n",
        escape(view.user.username.as_str())
    ));
    body.push_str(&sections::profile(view));
    body.push_str(&sections::password(view));
    body.push_str(&sections::two_step(view));
    body.push_str(&sections::sessions(view));
    body.push_str(&sections::apps(view));
    let status = if view.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    html(status, "Your account", &body)
}
