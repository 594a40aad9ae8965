//! The messages of the console's sign-in: the authorization request (RFC 6749 §4.1.1 with RFC 7636
//! §4.3), the token requests (§4.1.3, §6), the token response (§5.1), the callback (§4.1.2), and
//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::CLIENT_ID;
use crate::url::{Site, param, parse_query, query, with_query};

/// RFC 9207 §2.4: a response naming another issuer is refused (mix-up defence); Valet always
/// sends `iss`, so an absent one is tolerated only for older deployments.
pub fn issuer_matches(site: &Site, iss: Option<&str>) -> bool {
    iss.is_none_or(|iss| iss == site.issuer)
}

/// What the console asks for: an ID token (for the logout hint) and the admin API.
pub fn scope() -> String {
    format!("openid {}", valet_admin_api::ADMIN_SCOPE)
}

/// Refresh this long before the access token expires, so a request never carries a dying token.
pub const REFRESH_MARGIN_MS: f64 = 30_000.0;

/// `{issuer}/authorize?...` for a fresh sign-in.
pub fn authorize_url(site: &Site, challenge: &str, state: &str) -> String {
    let redirect = site.console_url();
    let scope = scope();
    with_query(
        &site.endpoint("authorize"),
        [
            ("response_type", Some("code")),
            ("client_id", Some(CLIENT_ID)),
            ("redirect_uri", Some(redirect.as_str())),
            ("scope", Some(scope.as_str())),
            ("state", Some(state)),
            ("code_challenge", Some(challenge)),
            ("code_challenge_method", Some("S256")),
        ],
    )
}

/// The form body redeeming an authorization code.
pub fn code_request(site: &Site, code: &str, verifier: &str) -> String {
    let redirect = site.console_url();
    query([
        ("grant_type", Some("authorization_code")),
        ("code", Some(code)),
        ("redirect_uri", Some(redirect.as_str())),
        ("code_verifier", Some(verifier)),
        ("client_id", Some(CLIENT_ID)),
    ])
}

/// The form body exchanging a refresh token (which the answer replaces: it is never sent twice).
pub fn refresh_request(refresh_token: &str) -> String {
    query([
        ("grant_type", Some("refresh_token")),
        ("refresh_token", Some(refresh_token)),
        ("client_id", Some(CLIENT_ID)),
    ])
}

/// The form body of a token revocation (RFC 7009 §2.1) at sign-out.
pub fn revocation_request(refresh_token: &str) -> String {
    query([
        ("token", Some(refresh_token)),
        ("token_type_hint", Some("refresh_token")),
        ("client_id", Some(CLIENT_ID)),
    ])
}

/// The `state` the console sends to logout, so that coming back it shows "signed out" rather
/// than starting a new sign-in at once.
pub const SIGNED_OUT_STATE: &str = "signed-out";

/// `{issuer}/logout?...`: ends the session at the provider and comes back to the console.
pub fn logout_url(site: &Site, id_token: Option<&str>) -> String {
    let back = site.console_url();
    with_query(
        &site.endpoint("logout"),
        [
            ("id_token_hint", id_token),
            ("client_id", Some(CLIENT_ID)),
            ("post_logout_redirect_uri", Some(back.as_str())),
            ("state", Some(SIGNED_OUT_STATE)),
        ],
    )
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    #[serde(default)]
    pub expires_in: Option<f64>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
}

/// An error token response (RFC 6749 §5.2).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TokenError {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error_description {
            Some(text) => write!(f, "{} ({text})", self.error),
            None => f.write_str(&self.error),
        }
    }
}

/// The tokens the console holds, in memory only.
#[derive(Clone, Debug, PartialEq)]
pub struct Tokens {
    pub access_token: String,
    /// Milliseconds since the epoch (the browser's `Date.now()` scale).
    pub expires_at_ms: f64,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
}

impl Tokens {
    /// From a response received at `now_ms`; a refresh response without a new ID token keeps the
    /// previous one (for the logout hint). Without `expires_in`, five minutes are assumed.
    pub fn from_response(
        response: TokenResponse,
        now_ms: f64,
        previous: Option<&Tokens>,
    ) -> Result<Self, String> {
        if !response.token_type.eq_ignore_ascii_case("bearer") {
            return Err(format!(
                "the token endpoint issued a {} token; the console needs a bearer token",
                response.token_type
            ));
        }
        let lifetime_ms = response.expires_in.unwrap_or(300.0).max(0.0) * 1000.0;
        Ok(Self {
            access_token: response.access_token,
            expires_at_ms: now_ms + lifetime_ms,
            refresh_token: response.refresh_token,
            id_token: response
                .id_token
                .or_else(|| previous.and_then(|p| p.id_token.clone())),
        })
    }

    /// True when the access token is expired or about to be.
    pub fn needs_refresh(&self, now_ms: f64) -> bool {
        now_ms + REFRESH_MARGIN_MS >= self.expires_at_ms
    }
}

/// Automatic sign-ins allowed within `LOOP_WINDOW_MS` before the console stops and asks: if the API
/// refuses every token it gets (an issuer mismatch, say), sign-in would otherwise loop forever.
pub const LOOP_LIMIT: usize = 3;
pub const LOOP_WINDOW_MS: f64 = 120_000.0;

/// The recent automatic sign-ins with this one added, and whether this one makes a loop.
pub fn record_sign_in(previous: &[f64], now_ms: f64) -> (Vec<f64>, bool) {
    let mut recent: Vec<f64> = previous
        .iter()
        .copied()
        .filter(|t| now_ms - t < LOOP_WINDOW_MS && *t <= now_ms)
        .collect();
    let looping = recent.len() >= LOOP_LIMIT;
    recent.push(now_ms);
    (recent, looping)
}

/// What the page's query says about a sign-in in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callback {
    /// Not a callback.
    None,
    /// The provider sent a code (RFC 6749 §4.1.2), naming itself in `iss` (RFC 9207).
    Code {
        code: String,
        state: String,
        iss: Option<String>,
    },
    /// The provider refused (RFC 6749 §4.1.2.1).
    Error {
        error: String,
        description: Option<String>,
    },
    /// Back from logout.
    SignedOut,
}

impl Callback {
    pub fn parse(search: &str) -> Self {
        let pairs = parse_query(search);
        let state = param(&pairs, "state").unwrap_or_default().to_owned();
        if let Some(error) = param(&pairs, "error") {
            return Self::Error {
                error: error.to_owned(),
                description: param(&pairs, "error_description").map(str::to_owned),
            };
        }
        if let Some(code) = param(&pairs, "code") {
            return Self::Code {
                code: code.to_owned(),
                state,
                iss: param(&pairs, "iss").map(str::to_owned),
            };
        }
        if state == SIGNED_OUT_STATE {
            return Self::SignedOut;
        }
        Self::None
    }
}

/// A human name for the signed-in administrator, read from the ID token's payload. The token came
/// straight from the token endpoint over TLS, so its claims are only displayed, never trusted.
pub fn display_name(id_token: &str) -> Option<String> {
    ["name", "preferred_username", "email", "sub"]
        .iter()
        .find_map(|claim| id_token_claim(id_token, claim))
}

/// One string claim of the ID token's payload (display only, as above).
pub fn id_token_claim(id_token: &str, claim: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get(claim)?.as_str().map(str::to_owned)
}

/// Where to go back to after signing in: a path inside the console, never another origin.
pub fn safe_return_path(site: &Site, path: &str) -> String {
    let base = site.router_base();
    let inside = path.starts_with(&format!("{base}/")) && !path.starts_with("//");
    if inside && !path.contains('\\') {
        path.to_owned()
    } else {
        format!("{base}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            issuer: "https://id.example/acme".into(),
            issuer_path: "/acme".into(),
        }
    }

    #[test]
    fn the_authorization_request_carries_pkce_and_the_exact_redirect_uri() {
        let url = authorize_url(&site(), "CHAL", "STATE");
        assert!(url.starts_with("https://id.example/acme/authorize?response_type=code&"));
        let pairs = parse_query(url.split_once('?').map(|(_, q)| q).unwrap_or_default());
        assert_eq!(param(&pairs, "client_id"), Some("valet-console"));
        assert_eq!(
            param(&pairs, "redirect_uri"),
            Some("https://id.example/acme/admin/")
        );
        assert_eq!(param(&pairs, "scope"), Some("openid valet:admin"));
        assert_eq!(param(&pairs, "code_challenge"), Some("CHAL"));
        assert_eq!(param(&pairs, "code_challenge_method"), Some("S256"));
        assert_eq!(param(&pairs, "state"), Some("STATE"));
    }

    #[test]
    fn token_requests_are_form_encoded_with_the_client_id() {
        let body = code_request(&site(), "c/1", "v");
        let pairs = parse_query(&body);
        assert_eq!(param(&pairs, "grant_type"), Some("authorization_code"));
        assert_eq!(param(&pairs, "code"), Some("c/1"));
        assert_eq!(param(&pairs, "code_verifier"), Some("v"));
        assert_eq!(param(&pairs, "client_id"), Some("valet-console"));
        assert_eq!(
            refresh_request("r+1"),
            "grant_type=refresh_token&refresh_token=r%2B1&client_id=valet-console"
        );
    }

    #[test]
    fn logout_names_the_hint_and_comes_back_signed_out() {
        let url = logout_url(&site(), Some("a.b.c"));
        let pairs = parse_query(url.split_once('?').map(|(_, q)| q).unwrap_or_default());
        assert_eq!(param(&pairs, "id_token_hint"), Some("a.b.c"));
        assert_eq!(
            param(&pairs, "post_logout_redirect_uri"),
            Some("https://id.example/acme/admin/")
        );
        let back = Callback::parse(&format!("?state={SIGNED_OUT_STATE}"));
        assert_eq!(back, Callback::SignedOut);
        assert!(!logout_url(&site(), None).contains("id_token_hint"));
    }

    #[test]
    fn callbacks_are_told_apart() {
        assert_eq!(Callback::parse(""), Callback::None);
        assert_eq!(
            Callback::parse("?code=abc&state=xyz&iss=https%3A%2F%2Fid.example%2Facme"),
            Callback::Code {
                code: "abc".into(),
                state: "xyz".into(),
                iss: Some("https://id.example/acme".into()),
            }
        );
        assert!(issuer_matches(&site(), Some("https://id.example/acme")));
        assert!(issuer_matches(&site(), None));
        assert!(!issuer_matches(&site(), Some("https://evil.example")));
        assert_eq!(
            Callback::parse("?error=access_denied&error_description=no+way&state=xyz"),
            Callback::Error {
                error: "access_denied".into(),
                description: Some("no way".into())
            }
        );
    }

    #[test]
    fn tokens_refresh_before_they_expire_and_keep_the_id_token() {
        let first = TokenResponse {
            access_token: "a1".into(),
            token_type: "Bearer".into(),
            expires_in: Some(300.0),
            refresh_token: Some("r1".into()),
            id_token: Some("id".into()),
        };
        let tokens = Tokens::from_response(first, 1_000.0, None);
        let tokens = tokens.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tokens.expires_at_ms, 301_000.0);
        assert!(!tokens.needs_refresh(200_000.0));
        assert!(tokens.needs_refresh(271_000.0));
        let refreshed = TokenResponse {
            access_token: "a2".into(),
            token_type: "bearer".into(),
            expires_in: None,
            refresh_token: Some("r2".into()),
            id_token: None,
        };
        let next = Tokens::from_response(refreshed, 0.0, Some(&tokens));
        assert_eq!(next.ok().and_then(|t| t.id_token), Some("id".into()));
        let dpop = TokenResponse {
            access_token: "a".into(),
            token_type: "DPoP".into(),
            expires_in: None,
            refresh_token: None,
            id_token: None,
        };
        assert!(Tokens::from_response(dpop, 0.0, None).is_err());
    }

    #[test]
    fn the_display_name_comes_from_the_id_token_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"42","preferred_username":"alice"}"#);
        assert_eq!(
            display_name(&format!("h.{payload}.s")).as_deref(),
            Some("alice")
        );
        assert_eq!(display_name("garbage"), None);
    }

    #[test]
    fn repeated_automatic_sign_ins_are_a_loop() {
        let (one, looping) = record_sign_in(&[], 1_000.0);
        assert!(!looping);
        let (three, _) = record_sign_in(&[one[0], 2_000.0], 3_000.0);
        assert_eq!(three.len(), 3);
        assert!(record_sign_in(&three, 4_000.0).1);
        assert!(!record_sign_in(&three, 200_000.0).1, "old attempts expire");
    }

    #[test]
    fn sign_in_only_returns_inside_the_console() {
        let s = site();
        assert_eq!(
            safe_return_path(&s, "/acme/admin/users/1?x=2"),
            "/acme/admin/users/1?x=2"
        );
        assert_eq!(safe_return_path(&s, "//evil.example/"), "/acme/admin/");
        assert_eq!(safe_return_path(&s, "/elsewhere"), "/acme/admin/");
    }
}
