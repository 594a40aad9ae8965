//! The relying party's HTML pages: a title, repeated as the one heading, and a body the tests read by
//! element id (`#who`, `#error`, `#error-description`, `#refreshed`). Never cached.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};

/// `body` is HTML: whatever it quotes went through `escape`.
pub fn render(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let title = escape(title);
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><h1>{title}</h1>{body}</body></html>\n"
        ))
}

pub fn not_found() -> HttpResponse {
    render(StatusCode::NOT_FOUND, "Not found", "")
}

/// What went wrong on the relying party's side (no issuer yet, discovery failed).
pub fn rp_error(err: &dyn std::error::Error) -> HttpResponse {
    let text = escape(&crate::relying_party::error_chain(err));
    render(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Relying party error",
        &format!("<pre>{text}</pre>"),
    )
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
