//! OAuth 2.0 Form Post Response Mode §2: the authorization response travels as hidden fields of a
//! form the browser posts to the client. A nonce'd script submits it; `<noscript>` offers a button.
//! The policy admits that script and a form posting to the client's origin, nothing else.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use super::{escape, layout, new_nonce, respond, web_origin};

const TITLE: &str = "Returning to the application";

pub fn form_post(action: &str, fields: &[(String, String)]) -> HttpResponse {
    let nonce = new_nonce();
    let target = web_origin(action).unwrap_or_else(|| "'none'".to_owned());
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         form-action {target}; frame-ancestors 'none'; base-uri 'none'"
    );
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<form method=\"post\" action=\"{action}\">\n\
         {inputs}<noscript>\n\
         <p>Select Continue to finish signing in.</p>\n\
         <button type=\"submit\">Continue</button>\n\
         </noscript>\n\
         </form>\n\
         <script nonce=\"{nonce}\">document.forms[0].submit()</script>",
        action = escape(action),
        nonce = escape(&nonce),
    );
    respond(
        StatusCode::OK,
        &csp,
        layout::document(&nonce, TITLE, "", &body),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::test_support::{HOSTILE, HOSTILE_ESCAPED, read};
    use actix_web::http::header;

    fn fields() -> Vec<(String, String)> {
        vec![
            ("code".to_owned(), "c0de".to_owned()),
            ("state".to_owned(), HOSTILE.to_owned()),
        ]
    }

    #[actix_web::test]
    async fn form_post_carries_every_field_escaped_and_submits_itself() {
        let page = read(form_post("https://rp.example:8443/cb?a=1&b=2", &fields())).await;
        assert_eq!(page.status, StatusCode::OK);
        let body = &page.body;
        assert!(body.contains("<h1>Returning to the application</h1>"));
        assert!(
            body.contains(
                "<form method=\"post\" action=\"https://rp.example:8443/cb?a=1&amp;b=2\">"
            )
        );
        assert!(body.contains("<input type=\"hidden\" name=\"code\" value=\"c0de\">"));
        assert!(body.contains(&format!(
            "<input type=\"hidden\" name=\"state\" value=\"{HOSTILE_ESCAPED}\">"
        )));
        assert!(body.contains(&format!(
            "<script nonce=\"{}\">document.forms[0].submit()</script>",
            page.nonce()
        )));
        assert_eq!(body.matches("<script").count(), 1);
        assert!(body.contains("<noscript>"));
        assert!(body.contains("<button type=\"submit\">Continue</button>"));
        assert_eq!(
            page.headers
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
    }

    #[actix_web::test]
    async fn form_post_policy_admits_the_script_and_the_client_origin() {
        let page = read(form_post("https://rp.example:8443/cb?a=1", &fields())).await;
        let nonce = page.nonce();
        assert_eq!(
            page.csp(),
            format!(
                "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
                 form-action https://rp.example:8443; frame-ancestors 'none'; base-uri 'none'"
            )
        );
        assert!(page.body.contains(&format!("<style nonce=\"{nonce}\">")));
    }

    #[actix_web::test]
    async fn form_post_to_an_unparsable_action_is_not_allowed_to_submit() {
        let page = read(form_post("not a url", &fields())).await;
        assert!(page.csp().contains("form-action 'none';"));
    }
}
