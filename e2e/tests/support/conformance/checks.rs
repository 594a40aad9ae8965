//! The suite's conditions that judge a single value: JWKS, code strength, error members, standard
//! claim types, and the shape of a form_post response.

use std::collections::BTreeMap;

use josekit::jwk::Jwk;
use reqwest::StatusCode;
use serde_json::{Map, Value};

use crate::support::TestResult;
use crate::support::browser::Page;
use crate::support::oidc;

/// The media type of a Content-Type value, parameters ignored.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// `CheckForKeyIdInServerJWKs`, `CheckDistinctKeyIdValueInServerJWKs`, and `ValidateJwksSequence`'s
/// "no private or symmetric members".
pub fn check_server_jwks(keys: &[Map<String, Value>]) -> TestResult {
    let mut kids = std::collections::BTreeSet::new();
    for key in keys {
        let kid = key
            .get("kid")
            .and_then(Value::as_str)
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| format!("CheckForKeyIdInServerJWKs: a key has no kid: {key:?}"))?;
        if !kids.insert(kid.to_owned()) {
            return Err(format!("CheckDistinctKeyIdValueInServerJWKs: kid {kid} repeats").into());
        }
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            if key.contains_key(private) {
                return Err(
                    format!("ValidateJwksSequence: key {kid} publishes `{private}`").into(),
                );
            }
        }
        if key.get("kty").and_then(Value::as_str) == Some("oct") {
            return Err(format!("ValidateJwksSequence: key {kid} is symmetric").into());
        }
        Jwk::from_map(key.clone()).map_err(|e| format!("ValidateJwksSequence: key {kid}: {e}"))?;
    }
    Ok(())
}

/// `EnsureMinimumAuthorizationCodeLength` (≥ 128 bits) and `EnsureMinimumAuthorizationCodeEntropy`
/// (Shannon entropy of the characters × length > 96 bits).
pub fn check_code_strength(code: &str) {
    assert!(
        code.len() * 8 >= 128,
        "EnsureMinimumAuthorizationCodeLength: {} bytes",
        code.len()
    );
    let entropy = shannon_bits(code);
    assert!(
        entropy > 96.0,
        "EnsureMinimumAuthorizationCodeEntropy: {entropy:.1} bits"
    );
}

fn shannon_bits(text: &str) -> f64 {
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n = text.chars().count() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

/// The character sets of `error` and `error_uri` (FAILURE) and `error_description` (FAILURE; CR, LF
/// and TAB WARN) of RFC 6749 §4.1.2.1 / §5.2.
pub fn check_error_fields(error: Option<&str>, description: Option<&str>, uri: Option<&str>) {
    let plain = |b: u8| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e);
    if let Some(error) = error {
        assert!(error.bytes().all(plain), "ValidateError…: {error:?}");
    }
    if let Some(description) = description {
        assert!(
            description.bytes().all(plain),
            "ValidateErrorDescription… (CR/LF/TAB warn): {description:?}"
        );
    }
    if let Some(uri) = uri {
        assert!(
            uri.bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
                && url::Url::parse(uri).is_ok(),
            "ValidateErrorUri…: {uri:?}"
        );
    }
}

/// `ValidateIdTokenStandardClaims` / `ValidateUserInfoStandardClaims` (CONFORMANCE.md §2.4): the OIDC
/// Core §5.1 types of every standard claim present.
pub fn check_standard_claims(claims: &Map<String, Value>, condition: &str) {
    const STRINGS: [&str; 16] = [
        "sub",
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "email",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "phone_number",
    ];
    for name in STRINGS {
        if let Some(value) = claims.get(name) {
            let text = value.as_str().unwrap_or_default();
            assert!(
                !text.trim().is_empty() && text != "null",
                "{condition}: {name} = {value}"
            );
        }
    }
    for name in ["email_verified", "phone_number_verified"] {
        if let Some(value) = claims.get(name) {
            assert!(value.is_boolean(), "{condition}: {name} = {value}");
        }
    }
    if let Some(value) = claims.get("updated_at") {
        assert!(value.is_number(), "{condition}: updated_at = {value}");
    }
    if let Some(value) = claims.get("birthdate") {
        let text = value.as_str().unwrap_or_default();
        let year: i32 = text.get(..4).and_then(|y| y.parse().ok()).unwrap_or(-1);
        let shape_ok = match text.len() {
            4 => true,
            10 => chrono::NaiveDate::parse_from_str(&text.replacen("0000", "2000", 1), "%Y-%m-%d")
                .is_ok(),
            _ => false,
        };
        let year_ok = year == 0 && text.len() == 10 || (1850..=2100).contains(&year);
        assert!(shape_ok && year_ok, "{condition}: birthdate = {text}");
    }
    if let Some(value) = claims.get("address") {
        let ok = value
            .as_object()
            .is_some_and(|a| a.values().all(Value::is_string));
        assert!(ok, "{condition}: address = {value}");
    }
}

/// The parameters of a form_post response page (OAuth 2.0 Form Post Response Mode §2): one form that
/// POSTs to `redirect_uri` (nothing in its query), carries only hidden inputs, and submits itself.
pub fn form_post_callback(page: &Page, redirect_uri: &str) -> TestResult<BTreeMap<String, String>> {
    assert_eq!(
        page.status,
        StatusCode::OK,
        "a form_post page: {}",
        page.body
    );
    assert!(
        page.location.is_none(),
        "form_post must not redirect: {:?}",
        page.location
    );
    assert_eq!(media_type(page.content_type()), "text/html");
    let form = page.form()?;
    assert_eq!(form.method, "post", "the form must POST");
    assert_eq!(
        form.action, redirect_uri,
        "the form posts to the redirect URI, with nothing in its query"
    );
    if let Some(enctype) = form.attributes.get("enctype") {
        assert_eq!(enctype, "application/x-www-form-urlencoded");
    }
    for input in &form.inputs {
        assert_eq!(
            input.get("type").map(String::as_str),
            Some("hidden"),
            "only hidden fields: {input:?}"
        );
    }
    assert!(
        page.body.contains("document.forms[0].submit()"),
        "the form submits itself: {}",
        page.body
    );
    // The page's policy must let that script run and the form reach the client.
    let csp = page.header("content-security-policy").unwrap_or_default();
    let origin = url::Url::parse(redirect_uri)?
        .origin()
        .ascii_serialization();
    assert!(
        csp.contains("script-src 'nonce-"),
        "CSP blocks the submitting script: {csp}"
    );
    assert!(
        csp.split(';')
            .any(|d| d.trim().starts_with("form-action") && d.contains(&origin)),
        "CSP form-action does not admit {origin}: {csp}"
    );
    oidc::unique_pairs(form.fields())
}
