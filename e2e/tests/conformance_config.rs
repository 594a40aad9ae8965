//! `oidcc-config-certification-test-plan` (CONFORMANCE.md §1.6): its one module,
//! `oidcc-discovery-endpoint-verification`, against the `valet` binary.
//!
//! Every check of the module is here except those that require https (`CheckDiscEndpointDiscoveryUrl`'s
//! scheme, `CheckDiscEndpointIssuerIsValidUrl`'s scheme, the https rule of the endpoint checks,
//! `CheckJwksUri` and `CheckDiscEndpointAllEndpointsAreHttps`): these tests run Valet on
//! http://127.0.0.1, which Valet allows only because the host is loopback. In their place, every
//! endpoint must live below the issuer, so that an https issuer makes them all https.
//!
//! All failures are collected and reported together, each named after the suite's condition.

mod support;

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use support::conformance::checks::{check_server_jwks, media_type};
use support::{Backend, Deployment, TestResult};

/// Every provider metadata member the specs Valet follows define: OpenID Connect Discovery 1.0 §3,
/// RFC 8414 §2, RFC 9207 §3, OpenID Connect Session Management §3.3, Front-Channel Logout §3,
/// Back-Channel Logout §2.1 and RP-Initiated Logout §2.1. The suite warns on anything else.
const STANDARD_MEMBERS: [&str; 50] = [
    // OpenID Connect Discovery 1.0 §3.
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "acr_values_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "id_token_encryption_alg_values_supported",
    "id_token_encryption_enc_values_supported",
    "userinfo_signing_alg_values_supported",
    "userinfo_encryption_alg_values_supported",
    "userinfo_encryption_enc_values_supported",
    "request_object_signing_alg_values_supported",
    "request_object_encryption_alg_values_supported",
    "request_object_encryption_enc_values_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "display_values_supported",
    "claim_types_supported",
    "claims_supported",
    "service_documentation",
    "claims_locales_supported",
    "ui_locales_supported",
    "claims_parameter_supported",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "require_request_uri_registration",
    "op_policy_uri",
    "op_tos_uri",
    // RFC 8414 §2 (beyond Discovery).
    "revocation_endpoint",
    "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported",
    "introspection_endpoint",
    "introspection_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_signing_alg_values_supported",
    "code_challenge_methods_supported",
    // RFC 9207 §3.
    "authorization_response_iss_parameter_supported",
    // Session Management §3.3, Front-Channel §3, Back-Channel §2.1, RP-Initiated Logout §2.1.
    "check_session_iframe",
    "frontchannel_logout_supported",
    "frontchannel_logout_session_supported",
    "backchannel_logout_supported",
    "backchannel_logout_session_supported",
    "end_session_endpoint",
    // RFC 8414 §2.1.
    "signed_metadata",
];

/// Members whose value is a boolean (the others named `*_supported` are arrays of strings).
const BOOLEAN_MEMBERS: [&str; 9] = [
    "claims_parameter_supported",
    "request_parameter_supported",
    "request_uri_parameter_supported",
    "require_request_uri_registration",
    "authorization_response_iss_parameter_supported",
    "frontchannel_logout_supported",
    "frontchannel_logout_session_supported",
    "backchannel_logout_supported",
    "backchannel_logout_session_supported",
];

/// Members whose value is a URL.
const URL_MEMBERS: [&str; 4] = [
    "jwks_uri",
    "service_documentation",
    "op_policy_uri",
    "op_tos_uri",
];

/// `OIDCCCheckDiscEndpointResponseTypesSupported`: at least one of these, compared as sets of words.
const RESPONSE_TYPES: [&str; 6] = [
    "code",
    "code id_token",
    "id_token",
    "token id_token",
    "code id_token token",
    "code token",
];

struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, ok: bool, condition: &str, detail: impl std::fmt::Display) {
        if !ok {
            self.0.push(format!("{condition}: {detail}"));
        }
    }
}

fn words(value: &str) -> BTreeSet<&str> {
    value.split(' ').filter(|w| !w.is_empty()).collect()
}

fn strings(value: Option<&Value>) -> Option<Vec<&str>> {
    value?
        .as_array()?
        .iter()
        .map(Value::as_str)
        .collect::<Option<Vec<_>>>()
}

/// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// An RFC 5646 language tag of the common shape (language, optional script, optional region), and
/// whether it is in canonical case (`en`, `en-GB`, `zh-Hant-TW`).
fn locale_tag(tag: &str) -> (bool, bool) {
    let parts: Vec<&str> = tag.split('-').collect();
    let Some((language, rest)) = parts.split_first() else {
        return (false, false);
    };
    let alpha = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
    };
    let mut valid = alpha(language, 2..=3) || alpha(language, 5..=8);
    let mut canonical = language.bytes().all(|b| b.is_ascii_lowercase());
    for part in rest {
        if alpha(part, 4..=4) {
            canonical &= part[..1].bytes().all(|b| b.is_ascii_uppercase())
                && part[1..].bytes().all(|b| b.is_ascii_lowercase());
        } else if alpha(part, 2..=2) {
            canonical &= part.bytes().all(|b| b.is_ascii_uppercase());
        } else {
            valid &=
                (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric());
        }
    }
    (valid, canonical)
}

async fn oidcc_discovery_endpoint_verification(backend: Backend) -> TestResult {
    let deployment = Deployment::new(backend)?;
    let valet = deployment.start().await?;
    let discovery_url = valet.url("/.well-known/openid-configuration");
    let mut f = Findings(Vec::new());

    let response = reqwest::get(&discovery_url).await?;
    f.check(
        response.status() == 200,
        "EnsureDiscoveryEndpointResponseStatusCodeIs200",
        response.status(),
    );
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    f.check(
        media_type(&content_type) == "application/json",
        "CheckDiscoveryEndpointReturnedJsonContentType",
        &content_type,
    );
    let metadata: Map<String, Value> = response.json().await?;
    let get = |name: &str| metadata.get(name);

    f.check(
        discovery_url.ends_with("/.well-known/openid-configuration"),
        "CheckDiscEndpointDiscoveryUrl",
        &discovery_url,
    );
    let issuer = get("issuer").and_then(Value::as_str).unwrap_or_default();
    let expected = discovery_url.trim_end_matches(".well-known/openid-configuration");
    f.check(
        issuer.trim_end_matches('/') == expected.trim_end_matches('/'),
        "CheckDiscEndpointIssuer",
        format!("issuer {issuer}, discovery at {discovery_url}"),
    );
    match url::Url::parse(issuer) {
        Ok(url) => f.check(
            url.host().is_some()
                && url.query().is_none()
                && url.fragment().is_none()
                && url.username().is_empty()
                && url.password().is_none(),
            "CheckDiscEndpointIssuerIsValidUrl",
            issuer,
        ),
        Err(e) => f.check(false, "CheckDiscEndpointIssuerIsValidUrl", e),
    }

    // CheckForUnexpectedParametersInServerMetadata.
    let unknown: Vec<&String> = metadata
        .keys()
        .filter(|k| !STANDARD_MEMBERS.contains(&k.as_str()))
        .collect();
    f.check(
        unknown.is_empty(),
        "CheckForUnexpectedParametersInServerMetadata",
        format!("{unknown:?}"),
    );

    // ValidateServerMetadataAgainstSchema: the type of every member.
    for (name, value) in &metadata {
        let ok = if BOOLEAN_MEMBERS.contains(&name.as_str()) {
            value.is_boolean()
        } else if name.ends_with("_supported") {
            strings(Some(value)).is_some()
        } else if name.ends_with("_endpoint")
            || URL_MEMBERS.contains(&name.as_str())
            || name == "issuer"
            || name == "check_session_iframe"
        {
            value.as_str().is_some_and(|u| url::Url::parse(u).is_ok())
        } else {
            true
        };
        f.check(
            ok,
            "ValidateServerMetadataAgainstSchema",
            format!("{name} = {value}"),
        );
    }

    let response_types = strings(get("response_types_supported")).unwrap_or_default();
    f.check(
        response_types
            .iter()
            .any(|t| RESPONSE_TYPES.iter().any(|r| words(r) == words(t))),
        "OIDCCCheckDiscEndpointResponseTypesSupported",
        format!("{response_types:?}"),
    );
    let subject_types = strings(get("subject_types_supported")).unwrap_or_default();
    f.check(
        subject_types.contains(&"public") || subject_types.contains(&"pairwise"),
        "CheckDiscEndpointSubjectTypesSupported",
        format!("{subject_types:?}"),
    );
    let id_token_algs = strings(get("id_token_signing_alg_values_supported")).unwrap_or_default();
    f.check(
        id_token_algs.contains(&"RS256"),
        "OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported",
        format!("{id_token_algs:?}"),
    );
    if let Some(value) = get("userinfo_signing_alg_values_supported") {
        f.check(
            value.is_array(),
            "OIDCCCheckDiscEndpointUserinfoSigningAlgValuesSupported",
            value,
        );
    }
    for (member, condition) in [
        (
            "authorization_endpoint",
            "CheckDiscEndpointAuthorizationEndpoint",
        ),
        ("token_endpoint", "CheckDiscEndpointTokenEndpoint"),
        ("userinfo_endpoint", "CheckDiscEndpointUserinfoEndpoint"),
        ("jwks_uri", "CheckJwksUri"),
    ] {
        f.check(
            get(member).is_some_and(Value::is_string),
            condition,
            "absent",
        );
    }
    // In place of CheckDiscEndpointAllEndpointsAreHttps (see the module docs).
    for (name, value) in &metadata {
        if name.ends_with("_endpoint") || name == "jwks_uri" {
            let url = value.as_str().unwrap_or_default();
            f.check(
                url.starts_with(&format!("{issuer}/")),
                "every endpoint below the issuer",
                format!("{name} = {url}"),
            );
        }
    }
    if let Some(algs) = get("request_object_signing_alg_values_supported") {
        f.check(
            strings(Some(algs)).is_some_and(|a| a.contains(&"RS256")),
            "CheckDiscEndpointRequestObjectSigningAlgValuesSupportedIncludesRS256",
            algs,
        );
    }
    f.check(
        get("claims_supported").is_some(),
        "OIDCCCheckDiscEndpointClaimsSupported",
        "absent",
    );
    if let Some(grants) = get("grant_types_supported") {
        f.check(
            strings(Some(grants)).is_some_and(|g| !g.is_empty()),
            "OIDCCCheckDiscEndpointGrantTypesSupported",
            grants,
        );
    }
    match strings(get("scopes_supported")) {
        Some(scopes) => {
            f.check(
                scopes.contains(&"openid"),
                "CheckDiscEndpointScopesSupportedContainsOpenId",
                format!("{scopes:?}"),
            );
            let bad: Vec<&&str> = scopes.iter().filter(|s| !is_scope_token(s)).collect();
            f.check(
                bad.is_empty(),
                "CheckDiscEndpointScopesSupportedSyntax",
                format!("{bad:?}"),
            );
        }
        None => f.check(
            false,
            "CheckDiscEndpointScopesSupportedContainsOpenId",
            "scopes_supported absent",
        ),
    }
    for member in ["ui_locales_supported", "claims_locales_supported"] {
        for tag in strings(get(member)).unwrap_or_default() {
            let (valid, canonical) = locale_tag(tag);
            f.check(
                valid,
                "CheckDiscEndpointLocalesSyntax",
                format!("{member}: {tag}"),
            );
            f.check(
                canonical,
                "CheckDiscEndpointLocalesCanonicalCasing",
                format!("{member}: {tag}"),
            );
        }
    }
    if let Some(methods) = get("code_challenge_methods_supported") {
        f.check(
            strings(Some(methods))
                .is_some_and(|m| m.is_empty() || m.contains(&"S256") || m.contains(&"plain")),
            "EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray",
            methods,
        );
    }

    // FetchServerKeys, ValidateJwksSequence, CheckForKeyIdInServerJWKs and
    // CheckDistinctKeyIdValueInServerJWKs.
    let jwks_uri = get("jwks_uri").and_then(Value::as_str).unwrap_or_default();
    let jwks: Value = reqwest::get(jwks_uri)
        .await?
        .error_for_status()?
        .json()
        .await?;
    let keys: Vec<Map<String, Value>> = jwks["keys"]
        .as_array()
        .map(|keys| keys.iter().filter_map(|k| k.as_object().cloned()).collect())
        .unwrap_or_default();
    f.check(!keys.is_empty(), "FetchServerKeys", &jwks);
    if let Err(e) = check_server_jwks(&keys) {
        f.check(false, "ValidateJwksSequence", e);
    }

    assert!(
        f.0.is_empty(),
        "the discovery document fails:\n  {}",
        f.0.join("\n  ")
    );
    Ok(())
}

#[tokio::test]
async fn oidcc_discovery_endpoint_verification_on_sqlite() -> TestResult {
    oidcc_discovery_endpoint_verification(Backend::Sqlite).await
}
