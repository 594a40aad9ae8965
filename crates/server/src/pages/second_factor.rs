//! The second sign-in step: a code from the user's authenticator app (RFC 6238) or a recovery code.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use super::{escape, html};

pub struct SecondFactorView<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    pub error: Option<&'a str>,
}

pub fn second_factor(view: &SecondFactorView) -> HttpResponse {
    let alert = view.error.map_or_else(String::new, |message| {
        format!(
            "<p class=\"alert\" role=\"alert\" id=\"code-error\">{}</p>\n",
            escape(message)
        )
    });
    let described_by = if view.error.is_some() {
        " aria-describedby=\"code-error\""
    } else {
        ""
    };
    let body = format!(
        "<p class=\"muted\">Signing in to {client}. Open your authenticator app and enter the \
         6-digit code it shows for this account.</p>\n{alert}\
         <form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <label for=\"code\">Verification code</label>\n\
         <input id=\"code\" name=\"code\" type=\"text\" inputmode=\"text\" \
         autocomplete=\"one-time-code\" autocapitalize=\"none\" spellcheck=\"false\" \
         maxlength=\"32\" required autofocus{described_by}>\n\
         <button type=\"submit\">Verify</button>\n\
         </form>\n\
         <p class=\"muted\">No access to your app? Enter one of your recovery codes instead.</p>",
        client = escape(view.client_name),
        action = escape(view.action),
        csrf = escape(view.csrf),
    );
    html(StatusCode::OK, "Two-step verification", &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::test_support::{HOSTILE, HOSTILE_ESCAPED, read};

    #[actix_web::test]
    async fn the_code_form_posts_with_csrf_and_names_the_client() {
        let page = read(second_factor(&SecondFactorView {
            action: "/interaction/h/second-factor",
            csrf: "t",
            client_name: HOSTILE,
            error: Some("wrong"),
        }))
        .await;
        assert!(
            page.body
                .contains("action=\"/interaction/h/second-factor\"")
        );
        assert!(page.body.contains("name=\"csrf\" value=\"t\""));
        assert!(page.body.contains("autocomplete=\"one-time-code\""));
        assert!(
            page.body
                .contains("role=\"alert\" id=\"code-error\">wrong</p>")
        );
        assert!(page.body.contains(HOSTILE_ESCAPED));
        assert!(!page.body.contains("<script>"));
    }
}
