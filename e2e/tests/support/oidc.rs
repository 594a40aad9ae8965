//! What the flow tests share: the provisioned end-user (every OIDC Core §5.1 claim filled, as the
//! conformance suite's scope tests need, CONFORMANCE.md §3.3), a driver for Valet's login and consent
//! pages, the client's side of the token and userinfo endpoints, and reading JWTs.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::TestResult;
use super::browser::{Browser, Page};

pub const USERNAME: &str = "alice";
pub const PASSWORD: &str = "Down the rabbit-hole 1865";

/// `[[users]]` entry with every standard claim; `updated_at` comes from the record itself.
pub const USER_TOML: &str = r#"
[[users]]
username = "alice"
password = "Down the rabbit-hole 1865"
roles = ["reader"]

[users.claims]
name = "Alice Liddell"
given_name = "Alice"
family_name = "Liddell"
middle_name = "Pleasance"
nickname = "Ally"
preferred_username = "alice"
profile = "https://wonderland.example/alice"
picture = "https://wonderland.example/alice.png"
website = "https://alice.example"
email = "alice@wonderland.example"
email_verified = true
gender = "female"
birthdate = "1852-05-04"
zoneinfo = "Europe/London"
locale = "en-GB"
phone_number = "+44 1865 270000"
phone_number_verified = true

[users.claims.address]
formatted = "Christ Church, St Aldates, Oxford OX1 1DP, United Kingdom"
street_address = "Christ Church, St Aldates"
locality = "Oxford"
region = "Oxfordshire"
postal_code = "OX1 1DP"
country = "United Kingdom"
"#;

/// OIDC Core §5.4: the claims each scope asks for (the suite's `SCOPE_STANDARD_CLAIMS`).
pub const PROFILE_CLAIMS: [&str; 14] = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
    "preferred_username",
];
pub const EMAIL_CLAIMS: [&str; 2] = ["email", "email_verified"];
pub const ADDRESS_CLAIMS: [&str; 1] = ["address"];
pub const PHONE_CLAIMS: [&str; 2] = ["phone_number", "phone_number_verified"];

pub fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &PROFILE_CLAIMS,
        "email" => &EMAIL_CLAIMS,
        "address" => &ADDRESS_CLAIMS,
        "phone" => &PHONE_CLAIMS,
        _ => &[],
    }
}

/// `n` random ASCII letters and digits.
pub fn random_alnum(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let chunk = openidconnect::CsrfToken::new_random_len(32);
        out.extend(
            chunk
                .secret()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(n - out.len()),
        );
    }
    out
}

/// RFC 7636 §4.1–4.2: a 64-character verifier and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let verifier = format!("{}-._~", random_alnum(60));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A page Valet showed the end-user on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Login,
    Consent,
}

/// An authorization request followed through Valet: the pages shown, and Valet's answer to the client
/// (a redirect leaving the issuer, a form_post page, or an error page).
#[derive(Debug)]
pub struct Journey {
    pub shown: Vec<Shown>,
    pub end: Page,
}

/// Follows `first` (Valet's answer to an authorization request) through the interaction pages, signing
/// in as alice and consenting whenever asked.
pub async fn follow(browser: &mut Browser, issuer: &str, first: Page) -> TestResult<Journey> {
    let interaction = format!("{issuer}/interaction/");
    let mut shown = Vec::new();
    let mut page = first;
    for _ in 0..12 {
        if page.status.is_redirection() {
            match &page.location {
                Some(next) if next.starts_with(&interaction) => {
                    let next = next.clone();
                    page = browser.get(&next).await?;
                    continue;
                }
                _ => return Ok(Journey { shown, end: page }),
            }
        }
        let (kind, action, fields) = match page.forms().first() {
            Some(form) if form.action.starts_with(&interaction) => {
                let csrf = form
                    .field("csrf")
                    .ok_or("an interaction form has no csrf")?;
                if form.action.ends_with("/login") {
                    (
                        Shown::Login,
                        form.action.clone(),
                        vec![
                            ("csrf", csrf),
                            ("username", USERNAME.to_owned()),
                            ("password", PASSWORD.to_owned()),
                        ],
                    )
                } else if form.action.ends_with("/consent") {
                    (
                        Shown::Consent,
                        form.action.clone(),
                        vec![("csrf", csrf), ("decision", "allow".to_owned())],
                    )
                } else {
                    return Err(format!("unknown interaction form {}", form.action).into());
                }
            }
            _ => return Ok(Journey { shown, end: page }),
        };
        if page.status != StatusCode::OK {
            return Err(format!("{kind:?} page answered {}: {}", page.status, page.body).into());
        }
        shown.push(kind);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        page = browser.post(&action, &fields).await?;
    }
    Err("more than 12 hops through the interaction pages".into())
}

/// The parameters of a redirect to `redirect_uri` carried in its query (the code flow's default
/// response mode); a fragment or a repeated parameter is an error.
pub fn query_callback(end: &Page, redirect_uri: &str) -> TestResult<BTreeMap<String, String>> {
    if !end.status.is_redirection() {
        return Err(format!(
            "expected a redirect to the client, got {} {}:\n{}",
            end.status, end.url, end.body
        )
        .into());
    }
    let location = end.location.as_deref().unwrap_or_default();
    let url = url::Url::parse(location)?;
    let mut without_query = url.clone();
    without_query.set_query(None);
    if without_query.as_str() != redirect_uri {
        return Err(format!("redirected to {location}, not to {redirect_uri}").into());
    }
    if url.fragment().is_some() {
        return Err(format!("the code flow answered in the fragment: {location}").into());
    }
    unique_pairs(
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned())),
    )
}

pub fn unique_pairs(
    pairs: impl IntoIterator<Item = (String, String)>,
) -> TestResult<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    for (name, value) in pairs {
        if params.insert(name.clone(), value).is_some() {
            return Err(format!("`{name}` appears twice in the response").into());
        }
    }
    Ok(params)
}

/// How the client authenticates at the token endpoint (OIDC Core §9).
#[derive(Clone, Copy, Debug)]
pub enum ClientAuth<'a> {
    /// RFC 6749 §2.3.1: both parts form-urlencoded before base64, as the suite sends them.
    Basic {
        id: &'a str,
        secret: &'a str,
    },
    Post {
        id: &'a str,
        secret: &'a str,
    },
    None {
        id: &'a str,
    },
}

/// A token-endpoint answer as a client receives it.
#[derive(Debug)]
pub struct TokenAnswer {
    pub status: StatusCode,
    pub content_type: String,
    pub cache_control: String,
    pub json: Value,
}

impl TokenAnswer {
    pub fn str(&self, name: &str) -> TestResult<&str> {
        self.json[name]
            .as_str()
            .ok_or_else(|| format!("no string `{name}` in the token response {}", self.json).into())
    }
}

fn form_urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// POSTs `form` plus the client authentication to the token endpoint, with `Accept: application/json`.
pub async fn token_request(
    token_endpoint: &str,
    auth: ClientAuth<'_>,
    form: &[(&str, &str)],
) -> TestResult<TokenAnswer> {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = reqwest::Client::new()
        .post(token_endpoint)
        .header(reqwest::header::ACCEPT, "application/json");
    match auth {
        ClientAuth::Basic { id, secret } => {
            let pair = format!("{}:{}", form_urlencode(id), form_urlencode(secret));
            request = request.header(
                reqwest::header::AUTHORIZATION,
                format!("Basic {}", STANDARD.encode(pair)),
            );
        }
        ClientAuth::Post { id, secret } => {
            form.push(("client_id", id));
            form.push(("client_secret", secret));
        }
        ClientAuth::None { id } => form.push(("client_id", id)),
    }
    let response = request.form(&form).send().await?;
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let cache_control = header(reqwest::header::CACHE_CONTROL);
    let text = response.text().await?;
    let json = serde_json::from_str(&text)
        .map_err(|e| format!("the token endpoint answered {status} with non-JSON ({e}): {text}"))?;
    Ok(TokenAnswer {
        status,
        content_type,
        cache_control,
        json,
    })
}

/// The authorization_code grant (RFC 6749 §4.1.3).
pub async fn redeem_code(
    token_endpoint: &str,
    auth: ClientAuth<'_>,
    code: &str,
    redirect_uri: &str,
    code_verifier: Option<&str>,
) -> TestResult<TokenAnswer> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ];
    if let Some(verifier) = code_verifier {
        form.push(("code_verifier", verifier));
    }
    token_request(token_endpoint, auth, &form).await
}

/// The JOSE header and the claims of a compact JWS, unverified.
pub fn jwt_parts(jwt: &str) -> TestResult<(Map<String, Value>, Map<String, Value>)> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("not a compact JWS: {jwt}").into());
    };
    let decode = |part: &str| -> TestResult<Map<String, Value>> {
        Ok(serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part)?)?)
    };
    Ok((decode(header)?, decode(payload)?))
}

/// OIDC Core §3.1.3.6 `at_hash` (and §3.3.2.11 `c_hash`): the left half of the hash of the ASCII value,
/// base64url; the hash follows the JWS algorithm's size.
pub fn left_half_hash(alg: &str, value: &str) -> TestResult<String> {
    let digest: Vec<u8> = match alg {
        "RS256" | "PS256" | "ES256" | "HS256" => Sha256::digest(value.as_bytes()).to_vec(),
        "RS384" | "PS384" | "ES384" | "HS384" => sha2::Sha384::digest(value.as_bytes()).to_vec(),
        "RS512" | "PS512" | "ES512" | "HS512" | "EdDSA" => {
            sha2::Sha512::digest(value.as_bytes()).to_vec()
        }
        other => return Err(format!("no hash for alg {other}").into()),
    };
    Ok(URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]))
}

/// An `updated_at`-style number of seconds since the epoch.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A JSON member as an integer, or an error that names it.
pub fn int(object: &Map<String, Value>, name: &str) -> TestResult<i64> {
    object
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("`{name}` is not an integer in {object:?}").into())
}

/// Valet as a provisioning file names a client's keys: `jwks = { keys = [ { kty = "…", … } ] }`.
pub fn jwks_toml(keys: &[Map<String, Value>]) -> TestResult<String> {
    let keys = keys
        .iter()
        .map(|key| {
            let members = key
                .iter()
                .map(|(name, value)| match value {
                    Value::String(text) => Ok(format!("{name} = {}", Value::String(text.clone()))),
                    other => Err(format!("JWK member {name} is not a string: {other}")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("{{ {} }}", members.join(", ")))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(format!("jwks = {{ keys = [{}] }}", keys.join(", ")))
}
