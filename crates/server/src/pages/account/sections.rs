//! The sections of the account overview, one function each.

use super::overview::AccountView;
use super::{field, form};
use crate::pages::{escape, scope_description};

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(super) fn profile(view: &AccountView) -> String {
    let c = &view.user.claims;
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let inner = [
        field(
            "name",
            "Full name",
            "text",
            &value(&c.name),
            " autocomplete=\"name\"",
        ),
        field(
            "given_name",
            "Given name",
            "text",
            &value(&c.given_name),
            " autocomplete=\"given-name\"",
        ),
        field(
            "family_name",
            "Family name",
            "text",
            &value(&c.family_name),
            " autocomplete=\"family-name\"",
        ),
        field(
            "email",
            "Email",
            "email",
            &value(&c.email),
            " autocomplete=\"email\"",
        ),
        field(
            "profile_password",
            "Current password (needed only to change the email address)",
            "password",
            "",
            " name=\"current_password\" autocomplete=\"current-password\"",
        ),
        field(
            "locale",
            "Language (e.g. en-GB)",
            "text",
            &value(&c.locale),
            "",
        ),
        field(
            "zoneinfo",
            "Time zone (e.g. Europe/Paris)",
            "text",
            &value(&c.zoneinfo),
            "",
        ),
    ]
    .concat();
    let status = match (&c.email, c.email_verified) {
        (None, _) => String::new(),
        (Some(_), true) => "<p id=\"email-status\">Your email address is verified.</p>\n".into(),
        (Some(_), false) => format!(
            "<p id=\"email-status\">Your email address is not verified yet.</p>\n{}",
            form(
                &format!("{}/email/verify", view.action),
                view.csrf,
                "",
                "Send a verification link",
                "inline"
            )
        ),
    };
    format!(
        "<h2>Profile</h2>\n{}{status}",
        form(
            &format!("{}/profile", view.action),
            view.csrf,
            &inner,
            "Save profile",
            ""
        )
    )
}

pub(super) fn password(view: &AccountView) -> String {
    let inner = [
        field(
            "current_password",
            "Current password",
            "password",
            "",
            " autocomplete=\"current-password\" required",
        ),
        field(
            "new_password",
            &format!("New password (at least {} characters)", view.password_min),
            "password",
            "",
            " autocomplete=\"new-password\" required",
        ),
    ]
    .concat();
    format!(
        "<h2>Password</h2>\n{}",
        form(
            &format!("{}/password", view.action),
            view.csrf,
            &inner,
            "Change password",
            ""
        )
    )
}

/// The password field of a form that changes how the account is protected.
fn password_field(id: &str) -> String {
    field(
        id,
        "Current password",
        "password",
        "",
        " name=\"current_password\" autocomplete=\"current-password\" required",
    )
}

/// The code field of a form that changes a second factor that is on.
fn code_field(id: &str) -> String {
    field(
        id,
        "Code from your authenticator app (or a recovery code)",
        "text",
        "",
        " name=\"code\" autocomplete=\"one-time-code\" required",
    )
}

pub(super) fn two_step(view: &AccountView) -> String {
    let action = |path: &str| format!("{}/mfa/{path}", view.action);
    if view.mfa.enabled() {
        format!(
            "<h2>Two-step verification</h2>\n<p id=\"mfa-status\">On: sign-ins ask for a code from \
             your authenticator app. {} recovery codes left.</p>\n{}{}",
            view.mfa.recovery_codes_left,
            form(
                &action("recovery-codes"),
                view.csrf,
                &[password_field("codes_password"), code_field("codes_code")].concat(),
                "New recovery codes",
                "inline"
            ),
            form(
                &action("remove"),
                view.csrf,
                &[password_field("remove_password"), code_field("remove_code")].concat(),
                "Turn off two-step verification",
                ""
            )
        )
    } else {
        format!(
            "<h2>Two-step verification</h2>\n<p id=\"mfa-status\">Off. Protect your account with a \
             code from an authenticator app at every sign-in.</p>\n{}",
            form(
                &action("setup"),
                view.csrf,
                &password_field("setup_password"),
                "Set up an authenticator app",
                ""
            )
        )
    }
}

/// "Firefox on Linux": enough to recognise a device, from its User-Agent header.
fn device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return "Unknown device".into();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(marker, _)| ua.contains(marker))
    .map_or("A browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| format!(" on {name}"))
    .unwrap_or_default();
    format!("{browser}{system}")
}

pub(super) fn sessions(view: &AccountView) -> String {
    let mut items = String::new();
    for s in view.sessions {
        let end = if s.id == view.current_session {
            "<p class=\"muted\">This browser</p>".to_owned()
        } else {
            form(
                &format!("{}/sessions/{}/end", view.action, s.id),
                view.csrf,
                "",
                "Sign out this session",
                "inline",
            )
        };
        items.push_str(&format!(
            "<li><strong>{}</strong>\n<p class=\"muted\">{} · signed in {} · last seen {}</p>\n{end}</li>\n",
            escape(&device(s.user_agent.as_deref())),
            escape(s.ip.as_deref().unwrap_or("unknown address")),
            when(s.created_at),
            when(s.last_seen_at),
        ));
    }
    let others = view.sessions.iter().any(|s| s.id != view.current_session);
    let end_others = if others {
        form(
            &format!("{}/sessions/end-others", view.action),
            view.csrf,
            "",
            "Sign out all other sessions",
            "",
        )
    } else {
        String::new()
    };
    format!(
        "<h2>Where you are signed in</h2>\n<ul id=\"sessions\" class=\"items\">\n{items}</ul>\n{end_others}"
    )
}

pub(super) fn apps(view: &AccountView) -> String {
    if view.apps.is_empty() {
        return "<h2>Connected apps</h2>\n<p>You have not given any app access.</p>\n".into();
    }
    let mut items = String::new();
    for (summary, client) in view.apps {
        let g = &summary.grant;
        let logo = client
            .metadata
            .logo_uri
            .as_deref()
            .filter(|u| u.starts_with("https://"))
            .map_or_else(String::new, |u| {
                format!(
                    "<img class=\"app-logo\" src=\"{}\" alt=\"\" width=\"32\" height=\"32\">",
                    escape(u)
                )
            });
        let scopes: String = g
            .scopes
            .iter()
            .map(|s| format!("<li>{}</li>", escape(&scope_description(s))))
            .collect();
        let used = g.last_used_at.map_or_else(|| "never".to_owned(), when);
        items.push_str(&format!(
            "<li data-client-id=\"{client_id}\">{logo}<strong>{name}</strong>\n\
             <p class=\"muted\">Access given {granted}; last used {used}.</p>\n<ul>{scopes}</ul>\n{revoke}</li>\n",
            client_id = escape(client.client_id.as_str()),
            name = escape(&client.metadata.name),
            granted = when(g.created_at),
            revoke = form(
                &format!("{}/apps/{}/revoke", view.action, g.id),
                view.csrf,
                "",
                &format!("Revoke access of {}", client.metadata.name),
                ""
            ),
        ));
    }
    format!("<h2>Connected apps</h2>\n<ul id=\"apps\" class=\"items\">\n{items}</ul>\n")
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn devices_are_named_by_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        assert_eq!(device(Some(chrome)), "Chrome on Linux");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device(Some(safari)), "Safari on iOS");
        assert_eq!(device(Some("curl/8.0")), "A browser");
        assert_eq!(device(None), "Unknown device");
    }
}
