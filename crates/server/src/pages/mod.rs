//! Server-rendered pages of the login and consent interaction (OIDC Core §3.1.2.3–§3.1.2.4) and the
//! Form Post Response Mode (OAuth 2.0 Form Post Response Mode §2). They work without JavaScript; every
//! response carries a strict Content Security Policy whose nonce is fresh per response.
//!
//! Bodies are HTML built with `format!`: every dynamic value goes through [`escape`] exactly once,
//! where it is written into the markup.

pub mod account;
mod consent;
mod error;
mod form_post;
mod layout;
mod login;
mod logout;
mod scopes;
mod second_factor;

pub use consent::{ConsentView, consent};
pub use error::{error, message_with_link};
pub use form_post::form_post;
pub use login::{LoginView, login};
pub use logout::{
    LogoutConfirmation, logout_confirmation, signed_out, signing_out, still_signed_in,
};
pub use scopes::scope_description;
pub use second_factor::{EnrolledView, SecondFactorView, enrolled, second_factor};

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use valet_core::random::{OsRandom, opaque_token};

/// 128 bits: a nonce only has to be unguessable for the life of one response.
const NONCE_BYTES: usize = 16;

/// HTML-escapes the five characters that can change the meaning of text or attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// A full page: `title` is plain text (escaped here, shown in `<title>` and as the one `<h1>`);
/// `body` is trusted HTML whose dynamic parts the caller has already passed through [`escape`].
pub fn html(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    render(status, title, "", body)
}

/// Like [`html`], with `lead` HTML (a client logo) placed above the heading.
fn render(status: StatusCode, title: &str, lead: &str, body: &str) -> HttpResponse {
    render_with(status, title, lead, "", |_| body.to_owned())
}

/// The general form: `extra` CSP directives (e.g. `frame-src …; script-src 'nonce-…'`, where the
/// text `{nonce}` becomes this response's nonce) and a body built knowing the nonce.
fn render_with(
    status: StatusCode,
    title: &str,
    lead: &str,
    extra: &str,
    body: impl FnOnce(&str) -> String,
) -> HttpResponse {
    let nonce = new_nonce();
    let extra = extra.replace("{nonce}", &nonce);
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{nonce}'; img-src https: data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'{extra}"
    );
    let body = body(&nonce);
    respond(status, &csp, layout::document(&nonce, title, lead, &body))
}

/// Chrome and Safari check `form-action` against every redirect that follows a form submission
/// (w3c/webappsec-csp#8), so a login or consent POST answered with a redirect to the client is
/// blocked under `form-action 'self'`. A handler that will answer that way widens the page's
/// policy with the origin of the redirect URI of the request being rendered.
pub fn allow_form_redirect(mut response: HttpResponse, redirect_uri: &str) -> HttpResponse {
    let Some(origin) = web_origin(redirect_uri) else {
        return response;
    };
    let widened = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|value| value.to_str().ok())
        .map(|csp| {
            csp.replace(
                "form-action 'self'",
                &format!("form-action 'self' {origin}"),
            )
        })
        .and_then(|csp| HeaderValue::from_str(&csp).ok());
    if let Some(value) = widened {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

fn new_nonce() -> String {
    opaque_token(&OsRandom, NONCE_BYTES)
}

/// `scheme://host[:port]` of an http(s) URL, the form a CSP source expression takes.
fn web_origin(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    Some(parsed.origin().ascii_serialization())
}

fn respond(status: StatusCode, csp: &str, document: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(document)
}

#[cfg(test)]
pub(crate) mod test_support {
    use actix_web::HttpResponse;
    use actix_web::http::StatusCode;
    use actix_web::http::header::{self, HeaderMap};

    pub(crate) struct Rendered {
        pub status: StatusCode,
        pub headers: HeaderMap,
        pub body: String,
    }

    impl Rendered {
        pub fn csp(&self) -> &str {
            self.headers
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        }

        pub fn nonce(&self) -> &str {
            let start = self.csp().find("'nonce-").map(|i| i + 7).unwrap_or(0);
            let rest = &self.csp()[start..];
            &rest[..rest.find('\'').unwrap_or(0)]
        }
    }

    pub(crate) async fn read(response: HttpResponse) -> Rendered {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let body = String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| panic!("{e}"));
        Rendered {
            status,
            headers,
            body,
        }
    }

    pub(crate) const HOSTILE: &str = "<script>alert(1)</script>\"'";
    pub(crate) const HOSTILE_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;";
}

#[cfg(test)]
mod tests {
    use super::test_support::read;
    use super::*;

    #[test]
    fn escape_replaces_all_five_special_characters() {
        assert_eq!(
            escape(r#"a & b < c > d " e ' f"#),
            "a &amp; b &lt; c &gt; d &quot; e &#x27; f"
        );
        assert_eq!(escape("plain é"), "plain é");
    }

    #[actix_web::test]
    async fn html_sends_no_store_and_a_strict_policy() {
        let page = read(html(StatusCode::OK, "T", "<p>x</p>")).await;
        assert_eq!(page.status, StatusCode::OK);
        let get = |name| page.headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(get(header::CONTENT_TYPE), Some("text/html; charset=utf-8"));
        assert_eq!(get(header::CACHE_CONTROL), Some("no-store"));
        assert_eq!(get(header::PRAGMA), Some("no-cache"));
        assert_eq!(get(header::REFERRER_POLICY), Some("no-referrer"));
        assert_eq!(get(header::X_FRAME_OPTIONS), Some("DENY"));
        let expected = format!(
            "default-src 'none'; style-src 'nonce-{}'; img-src https: data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
            page.nonce()
        );
        assert_eq!(page.csp(), expected);
    }

    #[actix_web::test]
    async fn csp_nonce_matches_the_style_tag_and_is_fresh_per_response() {
        let first = read(html(StatusCode::OK, "T", "")).await;
        let second = read(html(StatusCode::OK, "T", "")).await;
        assert!(first.nonce().len() >= 22, "16 bytes, base64url");
        assert!(
            first
                .body
                .contains(&format!("<style nonce=\"{}\">", first.nonce()))
        );
        assert_eq!(first.body.matches("<style").count(), 1);
        assert_ne!(first.nonce(), second.nonce());
    }

    #[actix_web::test]
    async fn layout_is_accessible_and_responsive() {
        let page = read(html(StatusCode::OK, "Title & more", "")).await;
        assert!(page.body.starts_with("<!doctype html>"));
        assert!(page.body.contains("<html lang=\"en\">"));
        assert!(page.body.contains("name=\"viewport\""));
        assert!(page.body.contains(":focus-visible"));
        assert_eq!(page.body.matches("<h1").count(), 1);
        assert!(page.body.contains("<h1>Title &amp; more</h1>"));
    }

    #[actix_web::test]
    async fn allow_form_redirect_adds_the_redirect_origin() {
        let response = html(StatusCode::OK, "T", "");
        let page = read(allow_form_redirect(
            response,
            "http://localhost:53412/cb?x=1",
        ))
        .await;
        assert!(
            page.csp()
                .contains("form-action 'self' http://localhost:53412;")
        );
        let page = read(allow_form_redirect(
            html(StatusCode::OK, "T", ""),
            "javascript:alert(1)",
        ))
        .await;
        assert!(page.csp().contains("form-action 'self';"));
    }
}
