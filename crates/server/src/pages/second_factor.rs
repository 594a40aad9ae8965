//! The second sign-in step: a code from the user's authenticator app (RFC 6238) or a recovery code;
//! and, after a first setup during sign-in, the recovery codes with the way on to the application.

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

pub struct EnrolledView<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    /// The new recovery codes, shown this once (empty when the page is shown again).
    pub codes: &'a [String],
}

/// Two-step verification is set up during a sign-in: the recovery codes, then on to the client.
pub fn enrolled(view: &EnrolledView) -> HttpResponse {
    let codes = if view.codes.is_empty() {
        "<p>Your recovery codes were shown when you set up the app; you can make new ones on your          account page.</p>
"
            .to_owned()
    } else {
        let items: String = view
            .codes
            .iter()
            .map(|c| format!("<li><code>{}</code></li>", escape(c)))
            .collect();
        format!(
            "<p>Keep these recovery codes somewhere safe. Each one signs you in once if you lose              your authenticator app. They are shown only now.</p>
             <ul id=\"recovery-codes\">{items}</ul>
"
        )
    };
    let body = format!(
        "<p>Your authenticator app is set up: every sign-in will ask for its code.</p>
{codes}         <form method=\"post\" action=\"{action}\">
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">
         <button type=\"submit\">Continue to {client}</button>
         </form>",
        action = escape(view.action),
        csrf = escape(view.csrf),
        client = escape(view.client_name),
    );
    html(StatusCode::OK, "Two-step verification is on", &body)
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

    #[actix_web::test]
    async fn the_recovery_codes_are_listed_once_with_the_way_on() {
        let codes = ["abcd-efgh".to_owned(), HOSTILE.to_owned()];
        let page = read(enrolled(&EnrolledView {
            action: "/interaction/h/continue",
            csrf: "t",
            client_name: "Shop",
            codes: &codes,
        }))
        .await;
        assert!(page.body.contains("<li><code>abcd-efgh</code></li>"));
        assert!(page.body.contains(HOSTILE_ESCAPED) && !page.body.contains("<script>"));
        assert!(page.body.contains("action=\"/interaction/h/continue\""));
        assert!(page.body.contains("Continue to Shop"));
        let again = read(enrolled(&EnrolledView {
            action: "/interaction/h/continue",
            csrf: "t",
            client_name: "Shop",
            codes: &[],
        }))
        .await;
        assert!(!again.body.contains("recovery-codes") && again.body.contains("account page"));
    }
}
