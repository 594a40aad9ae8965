//! The logout pages (RP-Initiated Logout 1.0 §2–§3, Front-Channel Logout 1.0 §3): the confirmation
//! form, the page that loads the relying parties' front-channel logout URIs before moving on, the
//! signed-out page, and the page for a user who chose to stay signed in. All work without JavaScript;
//! the only script (moving on once the front-channel frames have loaded) has a visible fallback link.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use super::{escape, html, render_with, web_origin};

/// What the confirmation form shows and carries.
pub struct LogoutConfirmation<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    /// The end-session parameters, carried as hidden fields.
    pub params: &'a [(String, String)],
    /// The relying party that asked, when known.
    pub client_name: Option<&'a str>,
}

pub fn logout_confirmation(view: &LogoutConfirmation<'_>) -> HttpResponse {
    let hidden: String = view
        .params
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let who = match view.client_name {
        Some(name) => format!(
            "<p><strong>{}</strong> asked to sign you out.</p>\n",
            escape(name)
        ),
        None => String::new(),
    };
    let body = format!(
        "{who}<p>Signing out ends your session here and in the applications you used with it.</p>\n\
         <form id=\"logout-confirm\" method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         {hidden}<div class=\"actions\">\n\
         <button type=\"submit\" name=\"logout\" value=\"yes\" autofocus>Sign out</button>\n\
         <button type=\"submit\" name=\"logout\" value=\"no\" class=\"secondary\">Stay signed in</button>\n\
         </div>\n\
         </form>",
        action = escape(view.action),
        csrf = escape(view.csrf),
    );
    html(StatusCode::OK, "Sign out?", &body)
}

/// The final page when there is nowhere to send the user back to. `frontchannel` URIs are loaded in
/// invisible frames so the relying parties can end their own sessions.
pub fn signed_out(frontchannel: &[String]) -> HttpResponse {
    let body = format!(
        "<p id=\"signed-out\">You are signed out. You can close this window.</p>\n{}",
        frames(frontchannel)
    );
    render_with(
        StatusCode::OK,
        "Signed out",
        "",
        &frame_src(frontchannel),
        |_| body,
    )
}

/// Loads the front-channel frames, then continues to `target` (the checked post-logout redirect):
/// once every frame has loaded (the window's load event waits for them) or after five seconds.
pub fn signing_out(frontchannel: &[String], target: &str) -> HttpResponse {
    let extra = format!("{}; script-src 'nonce-{{nonce}}'", frame_src(frontchannel));
    render_with(StatusCode::OK, "You are signed out", "", &extra, |nonce| {
        // The script comes first so that the link's paragraph stays the card's last child.
        format!(
            "<script nonce=\"{nonce}\">(function(){{var done=false;function go(){{if(done)return;done=true;\
             location.replace(document.getElementById('post-logout-continue').href);}}\
             if(document.readyState==='complete'){{go();}}else{{window.addEventListener('load',go);}}\
             setTimeout(go,5000);}})();</script>\n\
             <p>Returning you to the application…</p>\n{frames}\
             <p><a id=\"post-logout-continue\" href=\"{target}\">Continue</a></p>",
            target = escape(target),
            frames = frames(frontchannel),
            nonce = escape(nonce),
        )
    })
}

pub fn still_signed_in() -> HttpResponse {
    html(
        StatusCode::OK,
        "You are still signed in",
        "<p id=\"still-signed-in\">Nothing changed. You can go back to the application.</p>",
    )
}

fn frames(uris: &[String]) -> String {
    uris.iter()
        .map(|uri| {
            format!(
                "<iframe class=\"frontchannel\" title=\"Signing out of an application\" src=\"{}\" \
                 width=\"0\" height=\"0\" hidden></iframe>\n",
                escape(uri)
            )
        })
        .collect()
}

/// `; frame-src <origins>` for the frames, or nothing (`default-src 'none'` then forbids frames).
fn frame_src(uris: &[String]) -> String {
    let mut origins: Vec<String> = uris.iter().filter_map(|u| web_origin(u)).collect();
    origins.sort();
    origins.dedup();
    if origins.is_empty() {
        String::new()
    } else {
        format!("; frame-src {}", origins.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::test_support::{HOSTILE, HOSTILE_ESCAPED, read};

    #[actix_web::test]
    async fn the_confirmation_form_carries_the_request_and_a_csrf_token() {
        let params = vec![
            ("state".to_owned(), HOSTILE.to_owned()),
            ("client_id".to_owned(), "rp".to_owned()),
        ];
        let page = read(logout_confirmation(&LogoutConfirmation {
            action: "https://op.example/logout/confirm",
            csrf: "tok",
            params: &params,
            client_name: Some("Shop"),
        }))
        .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<h1>Sign out?</h1>"));
        assert!(
            page.body
                .contains("action=\"https://op.example/logout/confirm\"")
        );
        assert!(page.body.contains("name=\"csrf\" value=\"tok\""));
        assert!(
            page.body
                .contains(&format!("name=\"state\" value=\"{HOSTILE_ESCAPED}\""))
        );
        assert!(
            page.body
                .contains("value=\"yes\" autofocus>Sign out</button>")
        );
        assert!(page.body.contains("<strong>Shop</strong>"));
        assert!(!page.body.contains("<script"));
    }

    #[actix_web::test]
    async fn the_signed_out_page_frames_the_relying_parties_under_a_narrow_policy() {
        let page = read(signed_out(&["https://rp.example/fc?iss=x&sid=1".into()])).await;
        assert!(page.body.contains("id=\"signed-out\""));
        assert!(
            page.body
                .contains("src=\"https://rp.example/fc?iss=x&amp;sid=1\"")
        );
        assert!(page.csp().ends_with("; frame-src https://rp.example"));
        let plain = read(signed_out(&[])).await;
        assert!(!plain.body.contains("<iframe"));
        assert!(!plain.csp().contains("frame-src"));
    }

    #[actix_web::test]
    async fn the_signing_out_page_moves_on_with_a_nonced_script_and_a_visible_link() {
        let page = read(signing_out(
            &["https://rp.example/fc".into()],
            "https://rp.example/after?state=a%26b",
        ))
        .await;
        let nonce = page.nonce().to_owned();
        assert!(page.csp().contains(&format!("script-src 'nonce-{nonce}'")));
        assert!(page.body.contains(&format!("<script nonce=\"{nonce}\">")));
        assert!(
            page.body.contains(
                "id=\"post-logout-continue\" href=\"https://rp.example/after?state=a%26b\""
            )
        );
        assert!(page.csp().contains("frame-src https://rp.example"));
    }
}
