//! The consent page (OIDC Core §3.1.2.4): what the client asks for, in plain words, and one form
//! with Allow and Deny. Client-supplied URLs (RFC 7591 §2 metadata) are shown only when they are
//! web URLs, and the logo only over https.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use super::{escape, render, scope_description};

pub struct ConsentView<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    pub logo_uri: Option<&'a str>,
    pub client_uri: Option<&'a str>,
    pub policy_uri: Option<&'a str>,
    pub tos_uri: Option<&'a str>,
    pub user: &'a str,
    pub scopes: &'a [String],
}

pub fn consent(view: &ConsentView) -> HttpResponse {
    let title = format!("{} wants to access your account", view.client_name);
    let body = format!(
        "<p class=\"muted\">Signed in as <strong>{user}</strong></p>\n\
         {scopes}{links}<form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <div class=\"actions\">\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n\
         </div>\n\
         </form>",
        user = escape(view.user),
        scopes = scope_list(view.scopes),
        links = client_links(view),
        action = escape(view.action),
        csrf = escape(view.csrf),
    );
    render(StatusCode::OK, &title, &logo(view.logo_uri), &body)
}

fn scope_list(scopes: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::with_capacity(scopes.len());
    let mut items = String::new();
    for scope in scopes.iter().map(String::as_str) {
        if scope.is_empty() || seen.contains(&scope) {
            continue;
        }
        seen.push(scope);
        items.push_str(&format!("<li>{}</li>\n", escape(&scope_description(scope))));
    }
    if items.is_empty() {
        return String::new();
    }
    format!("<p>Requested access:</p>\n<ul>\n{items}</ul>\n")
}

fn client_links(view: &ConsentView) -> String {
    let links: Vec<String> = [
        (view.client_uri, "Website"),
        (view.policy_uri, "Privacy policy"),
        (view.tos_uri, "Terms of service"),
    ]
    .into_iter()
    .filter_map(|(uri, label)| {
        let url = web_url(uri?, &["http", "https"])?;
        Some(format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{label}</a>",
            escape(url.as_str())
        ))
    })
    .collect();
    if links.is_empty() {
        return String::new();
    }
    format!("<p class=\"muted\">{}</p>\n", links.join(" · "))
}

/// Decorative (`alt=""`): the client's name is the heading right below it.
fn logo(logo_uri: Option<&str>) -> String {
    logo_uri
        .and_then(|uri| web_url(uri, &["https"]))
        .map_or_else(String::new, |url| {
            format!(
                "<img class=\"logo\" src=\"{}\" alt=\"\" width=\"64\" height=\"64\">\n",
                escape(url.as_str())
            )
        })
}

fn web_url(raw: &str, schemes: &[&str]) -> Option<url::Url> {
    url::Url::parse(raw)
        .ok()
        .filter(|url| schemes.contains(&url.scheme()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::test_support::{HOSTILE, HOSTILE_ESCAPED, read};

    fn scopes() -> Vec<String> {
        vec!["openid".into(), "email".into(), "offline_access".into()]
    }

    fn view(scopes: &[String]) -> ConsentView<'_> {
        ConsentView {
            action: "/authorize/interaction/abc/consent",
            csrf: "csrf-token",
            client_name: "Photos",
            logo_uri: Some("https://photos.example/logo.png"),
            client_uri: Some("https://photos.example/"),
            policy_uri: Some("https://photos.example/privacy"),
            tos_uri: Some("https://photos.example/terms"),
            user: "alice@example.com",
            scopes,
        }
    }

    #[actix_web::test]
    async fn consent_lists_scopes_and_offers_allow_and_deny_in_one_form() {
        let scopes = scopes();
        let page = read(consent(&view(&scopes))).await;
        let body = &page.body;
        assert_eq!(page.status, StatusCode::OK);
        assert!(body.contains("<h1>Photos wants to access your account</h1>"));
        assert!(body.contains("Signed in as <strong>alice@example.com</strong>"));
        assert!(body.contains("<p>Requested access:</p>"));
        assert!(body.contains("<li>Know who you are (a stable identifier for your account)</li>"));
        assert!(body.contains("<li>Your email address and whether it is verified</li>"));
        assert!(body.contains("a long-lived refresh token"));
        assert_eq!(body.matches("<form ").count(), 1);
        assert!(body.contains("action=\"/authorize/interaction/abc/consent\""));
        assert!(body.contains("<input type=\"hidden\" name=\"csrf\" value=\"csrf-token\">"));
        assert!(body.contains("name=\"decision\" value=\"allow\">Allow</button>"));
        assert!(
            body.contains("name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button>")
        );
        assert!(body.contains(
            "<a href=\"https://photos.example/privacy\" rel=\"noopener noreferrer\" \
             target=\"_blank\">Privacy policy</a>"
        ));
        assert!(body.contains("Terms of service</a>"));
        assert!(body.contains("<img class=\"logo\" src=\"https://photos.example/logo.png\""));
    }

    #[actix_web::test]
    async fn non_web_urls_are_not_rendered_and_logo_needs_https() {
        let scopes = scopes();
        let page = read(consent(&ConsentView {
            policy_uri: Some("javascript:alert(1)"),
            tos_uri: Some("data:text/html,hi"),
            client_uri: Some("not a url"),
            logo_uri: Some("http://photos.example/logo.png"),
            ..view(&scopes)
        }))
        .await;
        assert!(!page.body.contains("javascript:"));
        assert!(!page.body.contains("data:text"));
        assert!(!page.body.contains("<a "));
        assert!(!page.body.contains("<img"));
    }

    #[actix_web::test]
    async fn hostile_client_name_scope_and_user_are_escaped() {
        let scopes = vec![HOSTILE.to_owned()];
        let page = read(consent(&ConsentView {
            client_name: HOSTILE,
            user: HOSTILE,
            ..view(&scopes)
        }))
        .await;
        assert!(!page.body.contains("<script>"));
        assert!(page.body.contains(&format!(
            "<h1>{HOSTILE_ESCAPED} wants to access your account</h1>"
        )));
        assert!(
            page.body
                .contains(&format!("<li>Access to &quot;{HOSTILE_ESCAPED}&quot;</li>"))
        );
        assert!(
            page.body
                .contains(&format!("<strong>{HOSTILE_ESCAPED}</strong>"))
        );
    }
}
