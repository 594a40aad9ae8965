//! HTML for mail clients (HTML 5, inline styles only, as most clients drop `<style>`), with every
//! inserted value escaped.

/// Escapes text for use in HTML content and in double- or single-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
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

/// Wraps already-escaped body markup in a page; `lang` and `title` are escaped here.
pub(crate) fn page(lang: &str, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n</head>\n\
         <body style=\"margin:0;padding:24px;background:#f4f4f5;color:#18181b;\
         font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5\">\n\
         <div style=\"max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px\">\n\
         {body}</div>\n</body>\n</html>\n",
        lang = escape(lang),
        title = escape(title),
    )
}

pub(crate) fn paragraph(text: &str) -> String {
    format!("<p style=\"margin:0 0 16px\">{}</p>\n", escape(text))
}

/// A button, then the bare link for clients that do not follow it.
pub(crate) fn action(label: &str, link: &str, fallback: &str) -> String {
    let link = escape(link);
    format!(
        "<p style=\"margin:24px 0\"><a href=\"{link}\" style=\"display:inline-block;padding:12px 20px;\
         background:#1d4ed8;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600\">{label}</a></p>\n\
         <p style=\"margin:0 0 16px;font-size:14px;color:#52525b\">{fallback}<br>\
         <a href=\"{link}\" style=\"color:#1d4ed8;word-break:break-all\">{link}</a></p>\n",
        label = escape(label),
        fallback = escape(fallback),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;"
        );
    }

    #[test]
    fn a_link_cannot_break_out_of_its_attribute() {
        let html = action("Go", "https://x.test/?a=1&b=\"><script>", "Copy:");
        assert!(html.contains("href=\"https://x.test/?a=1&amp;b=&quot;&gt;&lt;script&gt;\""));
        assert!(!html.contains("<script>"));
    }
}
