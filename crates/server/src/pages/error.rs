//! The page shown when the authorization request cannot be sent back to the client: an unknown
//! client or unregistered redirect URI (RFC 6749 §4.1.2.1), or a broken interaction.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use super::{escape, html};

/// `title` and `message` are plain words for the end-user; never a stack trace or internal detail.
pub fn error(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let body = format!(
        "<p>{}</p>\n\
         <p class=\"muted\"><strong>What you can do:</strong> Go back to the application and try \
         again.</p>",
        escape(message)
    );
    html(status, title, &body)
}

/// A message with one way onward (an account page, a fresh sign-in): `link` is (label, URL).
pub fn message_with_link(
    status: StatusCode,
    title: &str,
    message: &str,
    link: (&str, &str),
) -> HttpResponse {
    let body = format!(
        "<p>{}</p>\n<p><a href=\"{}\">{}</a></p>",
        escape(message),
        escape(link.1),
        escape(link.0)
    );
    html(status, title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::test_support::{HOSTILE, HOSTILE_ESCAPED, read};

    #[actix_web::test]
    async fn error_page_keeps_status_and_gives_a_hint() {
        let page = read(error(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            "The application sent an address we do not recognise.",
        ))
        .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(
            page.body
                .contains("<h1>This sign-in link is not valid</h1>")
        );
        assert!(
            page.body
                .contains("<p>The application sent an address we do not recognise.</p>")
        );
        assert!(
            page.body
                .contains("Go back to the application and try again.")
        );
    }

    #[actix_web::test]
    async fn hostile_error_text_is_escaped() {
        let page = read(error(StatusCode::BAD_REQUEST, HOSTILE, HOSTILE)).await;
        assert!(!page.body.contains("<script>"));
        assert!(page.body.contains(&format!("<h1>{HOSTILE_ESCAPED}</h1>")));
        assert!(page.body.contains(&format!("<p>{HOSTILE_ESCAPED}</p>")));
    }
}
