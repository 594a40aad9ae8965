//! The one document shell every page shares: a centered card, system fonts, no external resources.
//! The only stylesheet is the inline block below, admitted by the response's CSP nonce.

use super::escape;

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;\
--line:#d1d9e0;--accent:#0969da;--on-accent:#fff;--danger:#cf222e}\
@media (prefers-color-scheme:dark){:root{--fg:#f0f6fc;--muted:#9198a1;--bg:#0d1117;\
--card:#151b23;--line:#3d444d;--accent:#4493f8;--on-accent:#0d1117;--danger:#ff7b72}}\
*{box-sizing:border-box}\
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;\
padding:1rem;background:var(--bg);color:var(--fg);\
font:1rem/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}\
.card{width:100%;max-width:24rem;background:var(--card);border:1px solid var(--line);\
border-radius:.75rem;padding:1.5rem}\
.card>:last-child{margin-bottom:0}\
.brand{margin:0 0 1rem;font-size:.875rem;font-weight:600;color:var(--muted)}\
h1{margin:0 0 1rem;font-size:1.375rem;line-height:1.3;overflow-wrap:anywhere}\
p,ul{margin:0 0 1rem}\
ul{padding-left:1.25rem}li{margin:.25rem 0}\
.muted{color:var(--muted);font-size:.875rem;overflow-wrap:anywhere}\
.alert{padding:.75rem;border:1px solid var(--danger);border-radius:.5rem;color:var(--danger)}\
label{display:block;margin:0 0 .25rem;font-weight:600}\
input{display:block;width:100%;margin:0 0 1rem;padding:.625rem .75rem;font:inherit;\
color:var(--fg);background:var(--card);border:1px solid var(--line);border-radius:.5rem}\
button{width:100%;padding:.625rem 1rem;font:inherit;font-weight:600;cursor:pointer;\
color:var(--on-accent);background:var(--accent);border:1px solid var(--accent);border-radius:.5rem}\
button.secondary{color:var(--fg);background:transparent;border-color:var(--line)}\
.actions{display:flex;flex-wrap:wrap;gap:.75rem}.actions button{flex:1 1 8rem;white-space:nowrap}\
a{color:var(--accent)}\
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}\
.logo{display:block;width:4rem;height:4rem;margin:0 0 1rem;object-fit:contain}\
.notice{padding:.75rem;border:1px solid var(--accent);border-radius:.5rem}\
h2{margin:1.5rem 0 .75rem;padding-top:1rem;border-top:1px solid var(--line);font-size:1.125rem}\
form{margin:0 0 1rem}\
form.inline button{color:var(--fg);background:transparent;border-color:var(--line)}\
ul.items{padding:0}\
.items>li{list-style:none;margin:0 0 .75rem;padding:.75rem;border:1px solid var(--line);border-radius:.5rem}\
.items form{margin:.5rem 0 0}\
.app-logo{width:2rem;height:2rem;margin-right:.5rem;vertical-align:middle;object-fit:contain}\
img.qr{display:block;margin:0 auto 1rem;background:#fff}\
code{overflow-wrap:anywhere}";

/// `title` is plain text; `lead` and `body` are trusted HTML.
pub(super) fn document(nonce: &str, title: &str, lead: &str, body: &str) -> String {
    let title = escape(title);
    let nonce = escape(nonce);
    format!(
        "<!doctype html>\n\
         <html lang=\"en\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n\
         <title>{title} · Valet</title>\n\
         <style nonce=\"{nonce}\">{STYLE}</style>\n\
         </head>\n\
         <body>\n\
         <main class=\"card\">\n\
         <header><p class=\"brand\">Valet</p></header>\n\
         {lead}<h1>{title}</h1>\n\
         {body}\n\
         </main>\n\
         </body>\n\
         </html>\n"
    )
}
