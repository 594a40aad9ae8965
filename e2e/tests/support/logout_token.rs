//! What a relying party does with a back-channel logout request (OpenID Back-Channel Logout 1.0
//! §2.5–2.6, CONFORMANCE.md §2.9): take the `logout_token` from the form body, then validate it fully
//! against the issuer's published keys and the ID token the RP holds.

use josekit::jwk::Jwk;
use josekit::jws::{self, JwsVerifier};
use serde_json::{Map, Value};

use super::TestResult;
use super::backchannel::Recorded;
use super::oidc;

pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The keys the issuer publishes: discovery's `jwks_uri`, fetched.
pub async fn published_keys(issuer: &str) -> TestResult<Vec<Map<String, Value>>> {
    let discovery: Value = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await?
        .error_for_status()?
        .json()
        .await?;
    let jwks_uri = discovery["jwks_uri"].as_str().ok_or("no jwks_uri")?;
    let jwks: Value = reqwest::get(jwks_uri)
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(jwks["keys"]
        .as_array()
        .ok_or("the JWKS has no keys")?
        .iter()
        .filter_map(|k| k.as_object().cloned())
        .collect())
}

/// Back-Channel Logout 1.0 §2.5 and the suite's `ExtractLogoutTokenFromBackchannelLogoutRequest` and
/// `CheckForUnexpectedParametersInBackchannelLogoutRequest`: a form POST whose only parameter is
/// `logout_token`.
pub fn logout_token_of(request: &Recorded) -> TestResult<String> {
    if request.method != "POST" {
        return Err(format!("the back-channel request is a {}", request.method).into());
    }
    if request.media_type() != "application/x-www-form-urlencoded" {
        return Err(format!(
            "back-channel Content-Type {:?}",
            request.header("content-type")
        )
        .into());
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    match params.as_slice() {
        [(name, token)] if name == "logout_token" => Ok(token.clone()),
        _ => Err(format!(
            "the body must hold only logout_token: {:?}",
            String::from_utf8_lossy(&request.body)
        )
        .into()),
    }
}

/// Back-Channel Logout 1.0 §2.6 (with the §2.4 claims, errata: `exp` REQUIRED) and CONFORMANCE.md §2.9,
/// every step an RP must take, strictly: the claims once the token passed them all.
pub fn validate_logout_token(
    token: &str,
    issuer: &str,
    jwks: &[Map<String, Value>],
    client_id: &str,
    expected_sub: &str,
    expected_sid: Option<&str>,
) -> TestResult<Map<String, Value>> {
    if token.split('.').count() != 3 {
        return Err("§2.6 step 1: not a compact JWS (an encrypted token was not agreed)".into());
    }
    let (header, _) = oidc::jwt_parts(token)?;
    let typ = header
        .get("typ")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let typ = typ.to_ascii_lowercase();
    if typ != "logout+jwt" && typ != "application/logout+jwt" {
        return Err(format!("§2.4 explicit typing: typ {:?}", header.get("typ")).into());
    }
    let claims = verify(token, &header, jwks)?;
    let fail = |rule: &str| -> TestResult<Map<String, Value>> {
        Err(format!("{rule}: {claims:?}").into())
    };
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return fail("§2.6 step 2: iss is not the issuer");
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a == client_id),
        _ => false,
    };
    if !aud_ok {
        return fail("§2.6 step 2: aud does not name the client");
    }
    let now = oidc::now_secs();
    let Some(iat) = claims.get("iat").and_then(Value::as_i64) else {
        return fail("§2.4: iat is required (an integer)");
    };
    if iat > now + 300 {
        return fail("ValidateLogoutTokenClaims: iat in the future (5 minutes of skew)");
    }
    if iat < now - 86_400 {
        return fail("§2.6 step 2: iat more than a day old");
    }
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > now => {}
        Some(_) => return fail("§2.6 step 2: expired"),
        None => return fail("§2.4 (errata): exp is required (an integer)"),
    }
    if claims
        .get("jti")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return fail("§2.4: jti is required");
    }
    let events = claims.get("events").and_then(Value::as_object);
    let one_event = events.is_some_and(|e| {
        e.len() == 1
            && e.get(BACKCHANNEL_LOGOUT_EVENT)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
    });
    if !one_event {
        return fail(
            "§2.6 step 5 / ValidateLogoutTokenClaims: events must be exactly {backchannel-logout: {}}",
        );
    }
    if claims.contains_key("nonce") {
        return fail("§2.6 step 6 / CheckLogoutTokenNoNonce: a nonce");
    }
    let sub = claims.get("sub");
    let sid = claims.get("sid");
    if sub.is_none() && sid.is_none() {
        return fail("§2.6 step 4 / CheckLogoutTokenHasSubOrSid");
    }
    if let Some(sub) = sub
        && sub.as_str() != Some(expected_sub)
    {
        return fail(&format!(
            "CheckIdTokenSubMatchesLogoutToken: expected {expected_sub}"
        ));
    }
    if let Some(sid) = sid
        && (expected_sid.is_none() || sid.as_str() != expected_sid)
    {
        return fail(&format!(
            "CheckIdTokenSidMatchesLogoutToken: expected {expected_sid:?}"
        ));
    }
    Ok(claims)
}

type MakeVerifier = fn(&Jwk) -> TestResult<Box<dyn JwsVerifier>>;

/// §2.6 steps 2–3 and `ValidateLogoutTokenSignature`: an asymmetric algorithm (never `none`), and the
/// one published key that the header's `kid` names verifies the signature.
fn verify(
    token: &str,
    header: &Map<String, Value>,
    jwks: &[Map<String, Value>],
) -> TestResult<Map<String, Value>> {
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("none");
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or("the logout token's header has no kid")?;
    let (kty, verifier): (&str, MakeVerifier) = match alg {
        "RS256" => ("RSA", |k| Ok(Box::new(jws::RS256.verifier_from_jwk(k)?))),
        "RS384" => ("RSA", |k| Ok(Box::new(jws::RS384.verifier_from_jwk(k)?))),
        "RS512" => ("RSA", |k| Ok(Box::new(jws::RS512.verifier_from_jwk(k)?))),
        "PS256" => ("RSA", |k| Ok(Box::new(jws::PS256.verifier_from_jwk(k)?))),
        "PS384" => ("RSA", |k| Ok(Box::new(jws::PS384.verifier_from_jwk(k)?))),
        "PS512" => ("RSA", |k| Ok(Box::new(jws::PS512.verifier_from_jwk(k)?))),
        "ES256" => ("EC", |k| Ok(Box::new(jws::ES256.verifier_from_jwk(k)?))),
        "ES384" => ("EC", |k| Ok(Box::new(jws::ES384.verifier_from_jwk(k)?))),
        "EdDSA" => ("OKP", |k| Ok(Box::new(jws::EdDSA.verifier_from_jwk(k)?))),
        other => return Err(format!("§2.6 step 3: alg {other} is not acceptable").into()),
    };
    let keys: Vec<&Map<String, Value>> = jwks
        .iter()
        .filter(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
        .filter(|k| k.get("kty").and_then(Value::as_str) == Some(kty))
        .filter(|k| k.get("alg").is_none_or(|a| a == alg))
        .filter(|k| k.get("use").is_none_or(|u| u == "sig"))
        .collect();
    let [key] = keys.as_slice() else {
        return Err(format!(
            "{} published keys match kid {kid} and alg {alg}",
            keys.len()
        )
        .into());
    };
    let verifier = verifier(&Jwk::from_map((*key).clone())?)?;
    let (payload, _) = jws::deserialize_compact(token, verifier.as_ref())
        .map_err(|e| format!("ValidateLogoutTokenSignature: {e}"))?;
    Ok(serde_json::from_slice(&payload)?)
}
