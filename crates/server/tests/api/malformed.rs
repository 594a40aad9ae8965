//! Malformed input on every route never fails the server: each route is sent awkward values (empty,
//! NUL characters, broken percent-encoding, bytes that are not UTF-8, a very long value, numbers
//! and instants out of any range), one place at a time (a query parameter or form field, the path,
//! one field of an otherwise plausible admin body, Basic credentials) so that no earlier check
//! refuses the request for another reason, and must answer each with a 4xx or a success, never a
//! 5xx. Such values once gave 500s and 503s on PostgreSQL, which refuses text with a NUL character
//! and instants before 4713 BC.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestEnv};

const SECRET: &str = "malformed-client-secret-0123456789abcdef";

fn provision() -> String {
    format!(
        r#"
[[clients]]
client_id = "rp"
client_name = "RP"
client_secret = "{SECRET}"
redirect_uris = ["https://rp.example/cb"]
grant_types = ["authorization_code", "refresh_token"]

[[clients]]
client_id = "automation"
client_name = "Automation"
client_secret = "{SECRET}"
grant_types = ["client_credentials"]
scope = "valet:admin"

[[users]]
username = "alice"
password = "alice's long password"
claims = {{ email = "alice@example.com", email_verified = true }}
"#
    )
}

/// The awkward values, already percent-encoded for a query or a form.
const VALUES: [&str; 10] = [
    "",
    "%00",
    "a%00b%40example.com",
    "%zz",
    "%ff%fe",
    "-1",
    "99999999999999999999",
    "-5000-01-01T00:00:00Z",
    "null",
    "LONG",
];

/// Every parameter name the routes below read.
const NAMES: [&str; 24] = [
    "client_id",
    "client_secret",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "max_age",
    "prompt",
    "code_challenge",
    "grant_type",
    "code",
    "refresh_token",
    "token",
    "username",
    "password",
    "identifier",
    "csrf",
    "q",
    "cursor",
    "limit",
    "from",
    "to",
    "actor",
    "post_logout_redirect_uri",
];

/// Routes and the methods they answer; `{x}` is replaced by the value itself.
const ROUTES: [(&str, &str); 31] = [
    ("GET", "/authorize"),
    ("POST", "/authorize"),
    ("POST", "/token"),
    ("POST", "/revoke"),
    ("POST", "/introspect"),
    ("GET", "/userinfo"),
    ("GET", "/logout"),
    ("POST", "/logout/confirm"),
    ("GET", "/interaction/{x}"),
    ("POST", "/interaction/{x}/login"),
    ("POST", "/interaction/{x}/consent"),
    ("POST", "/account/forgot"),
    ("GET", "/account/reset/{x}"),
    ("POST", "/account/reset/{x}"),
    ("GET", "/account/verify/{x}"),
    ("POST", "/account/register"),
    ("GET", "/account/activate/{x}"),
    ("POST", "/account/profile"),
    ("POST", "/account/apps/{x}/revoke"),
    ("GET", "/admin/api/v1/users"),
    ("GET", "/admin/api/v1/clients"),
    ("GET", "/admin/api/v1/grants"),
    ("GET", "/admin/api/v1/audit"),
    ("GET", "/admin/api/v1/notifications"),
    ("GET", "/admin/api/v1/users/{x}"),
    ("PATCH", "/admin/api/v1/users/{x}"),
    ("POST", "/admin/api/v1/users"),
    ("GET", "/admin/api/v1/clients/{x}"),
    ("PUT", "/admin/api/v1/clients/{x}"),
    ("POST", "/admin/api/v1/clients"),
    ("POST", "/admin/api/v1/grants/{x}/revoke"),
];

fn expand(value: &str) -> String {
    if value == "LONG" {
        "a".repeat(5_000)
    } else {
        value.to_owned()
    }
}

/// The value as text, for JSON bodies and Basic credentials: its percent-encoding undone (bytes
/// that are not UTF-8 become U+FFFD). No value holds `&`, `=` or `+`.
fn decoded(value: &str) -> String {
    url::form_urlencoded::parse(value.as_bytes())
        .next()
        .map(|(text, _)| text.into_owned())
        .unwrap_or_default()
}

/// Where one request puts the awkward value; everything else in it is plausible.
#[derive(Clone, Copy, Debug)]
enum Place {
    /// The `{x}` segment of the path.
    Path,
    /// One query parameter (GET) or form field (POST), or one query parameter of an admin call.
    Param(&'static str),
    /// One field of an admin call's JSON body.
    Json(&'static str),
    /// Both halves of HTTP Basic credentials.
    Basic,
}

/// A plausible JSON body for an admin call, with `field` set to `value`.
fn admin_body(field: &str, value: &str) -> Value {
    let mut body = json!({
        "username": "malformed", "password": "a long enough password",
        "client_id": "malformed", "client_name": "Malformed",
        "redirect_uris": ["https://malformed.example/cb"],
        "claims": { "name": "M", "email": "m@example.com", "locale": "en" },
    });
    let slot = match field.split_once('.') {
        Some((outer, inner)) => &mut body[outer][inner],
        None if field == "redirect_uris" => &mut body[field][0],
        None => &mut body[field],
    };
    *slot = Value::String(value.to_owned());
    body
}

async fn malformed_input_is_refused_never_a_failure(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.start_as_issuer(&provision()).await;
    let token = app.client_credentials("automation", SECRET).await;
    let users = app.get_json_as("/admin/api/v1/users?q=alice", &token).await;
    let alice = users["items"][0]["id"].as_str().unwrap_or("x").to_owned();
    let mut failures = Vec::new();
    let mut sent = 0;
    for (method, route) in ROUTES {
        let admin = route.starts_with("/admin/");
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let body_route = admin && method != Method::GET;
        let mut places: Vec<Place> = NAMES.iter().map(|n| Place::Param(n)).collect();
        if route.contains("{x}") {
            places.push(Place::Path);
        }
        if body_route {
            for field in [
                "username",
                "password",
                "client_id",
                "client_name",
                "redirect_uris",
                "claims.name",
                "claims.email",
                "claims.locale",
            ] {
                places.push(Place::Json(field));
            }
        } else if !admin && method == Method::POST {
            places.push(Place::Basic);
        }
        // The `{x}` of a route, when the value goes elsewhere: something that exists.
        let existing = if route.contains("/users/") {
            alice.as_str()
        } else if route.contains("/clients/") {
            "rp"
        } else {
            "x"
        };
        for place in places {
            for value in VALUES.map(expand) {
                let text = decoded(&value);
                let segment = if matches!(place, Place::Path) {
                    value.as_str()
                } else {
                    existing
                };
                let param = match place {
                    Place::Param(name) => format!("{name}={value}"),
                    _ => String::new(),
                };
                let form = !admin && method == Method::POST;
                let url = match form {
                    true => format!("{}{}", app.address, route.replace("{x}", segment)),
                    false => format!("{}{}?{param}", app.address, route.replace("{x}", segment)),
                };
                let mut request = app.http.request(method.clone(), &url);
                if admin {
                    request = request.bearer_auth(&token);
                }
                if matches!(place, Place::Basic) {
                    if text.chars().any(char::is_control) {
                        continue; // no header can carry it
                    }
                    request = request.basic_auth(&text, Some(&text));
                }
                if form {
                    request = request
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(param.clone());
                } else if body_route {
                    let field = match place {
                        Place::Json(field) => field,
                        _ => "",
                    };
                    request = request.json(&admin_body(field, &text));
                }
                let status = request
                    .send()
                    .await
                    .map(|r| r.status())
                    .unwrap_or_else(|e| panic!("{method} {route} {place:?} {value:.40}: {e:.200}"));
                sent += 1;
                if status.is_server_error() {
                    failures.push(format!("{status} {method} {route} {place:?} {value:.40}"));
                }
                if status == StatusCode::UNAUTHORIZED && admin {
                    failures.push(format!("the admin token was refused: {method} {route}"));
                }
            }
        }
    }
    assert!(sent > ROUTES.len() * NAMES.len() * VALUES.len(), "{sent}");
    assert!(failures.is_empty(), "{failures:#?}");
}

crate::on_both_backends!(malformed_input_is_refused_never_a_failure);
