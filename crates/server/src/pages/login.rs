//! The sign-in page the authorization endpoint shows when it needs the end-user to authenticate
//! (OIDC Core §3.1.2.3), including re-authentication for `prompt=login` and `max_age`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use super::{escape, html};

pub struct LoginView<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    /// Prefill: a `login_hint` or the user being re-authenticated.
    pub username: Option<&'a str>,
    pub error: Option<&'a str>,
    /// Set when re-authenticating (`prompt=login`, `select_account`, `max_age`).
    pub current_user: Option<&'a str>,
    /// The "forgot your password?" page.
    pub forgot: &'a str,
    /// The sign-up page, when self-registration is on.
    pub register: Option<&'a str>,
}

/// 200, or 401 with the error announced to assistive technology when `error` is set.
pub fn login(view: &LoginView) -> HttpResponse {
    let title = format!("Sign in to {}", view.client_name);
    let status = match view.error {
        Some(_) => StatusCode::UNAUTHORIZED,
        None => StatusCode::OK,
    };
    html(status, &title, &body(view))
}

fn body(view: &LoginView) -> String {
    let signed_in = view.current_user.map_or_else(String::new, |user| {
        format!(
            "<p class=\"muted\">Signed in as <strong>{}</strong>. Enter your password again to \
             continue.</p>\n",
            escape(user)
        )
    });
    let (alert, described_by) = view.error.map_or_else(
        || (String::new(), ""),
        |message| {
            (
                format!(
                    "<p class=\"alert\" role=\"alert\" id=\"login-error\">{}</p>\n",
                    escape(message)
                ),
                " aria-describedby=\"login-error\"",
            )
        },
    );
    let username = view.username.unwrap_or_default();
    // Focus lands where typing starts: on the password once the username is known.
    let (focus_user, focus_password) = if username.is_empty() {
        (" autofocus", "")
    } else {
        ("", " autofocus")
    };
    format!(
        "{signed_in}{alert}<form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <label for=\"username\">Username or email</label>\n\
         <input id=\"username\" name=\"username\" type=\"text\" value=\"{username}\" \
         autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required\
         {focus_user}{described_by}>\n\
         <label for=\"password\">Password</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required{focus_password}{described_by}>\n\
         <button type=\"submit\">Sign in</button>\n\
         </form>\n\
         <p class=\"muted\"><a href=\"{forgot}\">Forgot your password?</a>{register}</p>",
        forgot = escape(view.forgot),
        register = view.register.map_or_else(String::new, |href| format!(
            " · <a href=\"{}\">Create an account</a>",
            escape(href)
        )),
        action = escape(view.action),
        csrf = escape(view.csrf),
        username = escape(username),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::test_support::{HOSTILE, HOSTILE_ESCAPED, read};

    fn view<'a>() -> LoginView<'a> {
        LoginView {
            action: "/authorize/interaction/abc/login",
            csrf: "tok\"en",
            client_name: "Photos",
            username: None,
            error: None,
            current_user: None,
            forgot: "/account/forgot",
            register: None,
        }
    }

    #[actix_web::test]
    async fn login_form_posts_credentials_with_csrf_and_autocomplete() {
        let page = read(login(&view())).await;
        assert_eq!(page.status, StatusCode::OK);
        let body = &page.body;
        assert!(body.contains("<title>Sign in to Photos · Valet</title>"));
        assert!(body.contains("<h1>Sign in to Photos</h1>"));
        assert!(
            body.contains("<form method=\"post\" action=\"/authorize/interaction/abc/login\">")
        );
        assert!(body.contains("<input type=\"hidden\" name=\"csrf\" value=\"tok&quot;en\">"));
        assert!(body.contains("<label for=\"username\">Username or email</label>"));
        assert!(body.contains("id=\"username\" name=\"username\""));
        assert!(body.contains("autocomplete=\"username\""));
        assert!(body.contains("<label for=\"password\">Password</label>"));
        assert!(body.contains("autocomplete=\"current-password\""));
        assert!(body.contains("<button type=\"submit\">Sign in</button>"));
        assert!(body.contains("<a href=\"/account/forgot\">Forgot your password?</a>"));
        assert!(!body.contains("role=\"alert\""));
        assert!(body.contains("<p class=\"brand\">Valet</p>"));
    }

    #[actix_web::test]
    async fn login_with_error_is_401_with_an_alert() {
        let page = read(login(&LoginView {
            error: Some("Wrong username or password."),
            ..view()
        }))
        .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains(
            "<p class=\"alert\" role=\"alert\" id=\"login-error\">Wrong username or password.</p>"
        ));
        assert!(page.body.contains("aria-describedby=\"login-error\""));
    }

    #[actix_web::test]
    async fn reauthentication_shows_the_current_user_and_prefills() {
        let page = read(login(&LoginView {
            username: Some("alice"),
            current_user: Some("alice"),
            ..view()
        }))
        .await;
        assert!(page.body.contains("Signed in as <strong>alice</strong>"));
        assert!(page.body.contains("value=\"alice\""));
    }

    #[actix_web::test]
    async fn hostile_values_are_escaped() {
        let page = read(login(&LoginView {
            client_name: HOSTILE,
            username: Some(HOSTILE),
            error: Some(HOSTILE),
            current_user: Some(HOSTILE),
            ..view()
        }))
        .await;
        assert!(!page.body.contains("<script>"));
        assert!(!page.body.contains("\"'"));
        assert!(
            page.body
                .contains(&format!("<h1>Sign in to {HOSTILE_ESCAPED}</h1>"))
        );
        assert!(
            page.body
                .contains(&format!("id=\"login-error\">{HOSTILE_ESCAPED}</p>"))
        );
        assert!(page.body.contains(&format!("value=\"{HOSTILE_ESCAPED}\"")));
    }
}
