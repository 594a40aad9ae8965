//! The claims of a client assertion (RFC 7523 §3, OIDC Core §9): who, for whom, when, and which one.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::ClientAuthError;
use crate::client::ClientId;

/// Tolerated difference between the client's clock and ours.
pub(super) const CLOCK_SKEW_SECS: i64 = 60;
/// The longest an assertion may live: a leaked one is useless soon, and the replay records stay few.
pub(super) const MAX_LIFETIME_SECS: i64 = 600;

/// What the replay check needs from an accepted assertion.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct AcceptedAssertion {
    pub(super) jti: String,
    /// The last instant at which this assertion passes `check_lifetime` (`exp` plus the skew).
    pub(super) usable_until: DateTime<Utc>,
}

pub(super) fn check_assertion_claims(
    claims: &Map<String, Value>,
    client_id: &ClientId,
    audiences: &[String],
    now: DateTime<Utc>,
) -> Result<AcceptedAssertion, ClientAuthError> {
    check_issuer_and_subject(claims, client_id)?;
    check_audience(claims, audiences)?;
    let exp = check_lifetime(claims, now)?;
    let jti = require_jti(claims)?;
    let usable_until = DateTime::from_timestamp(exp.saturating_add(CLOCK_SKEW_SECS), 0)
        .unwrap_or(now + Duration::seconds(MAX_LIFETIME_SECS + 2 * CLOCK_SKEW_SECS));
    Ok(AcceptedAssertion { jti, usable_until })
}

/// `iss` and `sub` are both the client_id (RFC 7523 §3 items 1 and 2, OIDC Core §9).
fn check_issuer_and_subject(
    claims: &Map<String, Value>,
    client_id: &ClientId,
) -> Result<(), ClientAuthError> {
    for claim in ["iss", "sub"] {
        if claims.get(claim).and_then(Value::as_str) != Some(client_id.as_str()) {
            return Err(ClientAuthError::invalid_client(&format!(
                "the client assertion's {claim} must be the client_id"
            )));
        }
    }
    Ok(())
}

/// `aud`, a string or an array, names this server: its token endpoint or its issuer (RFC 7523 §3
/// item 3).
fn check_audience(
    claims: &Map<String, Value>,
    audiences: &[String],
) -> Result<(), ClientAuthError> {
    let ours = |v: &Value| {
        v.as_str()
            .is_some_and(|aud| audiences.iter().any(|a| a == aud))
    };
    let named = match claims.get("aud") {
        Some(Value::Array(values)) => values.iter().any(ours),
        Some(value) => ours(value),
        None => false,
    };
    if !named {
        return Err(ClientAuthError::invalid_client(
            "the client assertion's aud must name the token endpoint or the issuer",
        ));
    }
    Ok(())
}

/// `exp` is required and in the future, `nbf` and `iat` are not in the future, all within the clock
/// skew; and the assertion lives at most `MAX_LIFETIME_SECS` (RFC 7523 §3 items 4 to 6). Returns `exp`.
fn check_lifetime(claims: &Map<String, Value>, now: DateTime<Utc>) -> Result<i64, ClientAuthError> {
    let now = now.timestamp();
    let reject = |why: &str| {
        Err(ClientAuthError::invalid_client(&format!(
            "the client assertion {why}"
        )))
    };
    let Some(exp) = numeric_date(claims, "exp")? else {
        return reject("lacks exp");
    };
    if exp <= now - CLOCK_SKEW_SECS {
        return reject("has expired");
    }
    if exp > now + MAX_LIFETIME_SECS + CLOCK_SKEW_SECS {
        return reject("expires too far ahead (at most 10 minutes)");
    }
    if numeric_date(claims, "nbf")?.is_some_and(|nbf| nbf > now + CLOCK_SKEW_SECS) {
        return reject("is not valid yet (nbf)");
    }
    if let Some(iat) = numeric_date(claims, "iat")? {
        if iat > now + CLOCK_SKEW_SECS {
            return reject("is issued in the future (iat)");
        }
        if exp.saturating_sub(iat) > MAX_LIFETIME_SECS {
            return reject("lives too long (at most 10 minutes from iat to exp)");
        }
    }
    Ok(exp)
}

/// A NumericDate (RFC 7519 §2): seconds, possibly fractional.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, ClientAuthError> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    value
        .as_i64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.floor() as i64)
        })
        .map(Some)
        .ok_or_else(|| {
            ClientAuthError::invalid_client(&format!(
                "the client assertion's {name} is not a number"
            ))
        })
}

/// `jti` identifies the assertion so it can be used once (RFC 7523 §3 item 7).
fn require_jti(claims: &Map<String, Value>) -> Result<String, ClientAuthError> {
    claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|jti| !jti.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ClientAuthError::invalid_client("the client assertion lacks jti"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(NOW, 0).unwrap_or_default()
    }

    fn client() -> ClientId {
        ClientId::parse("app").unwrap_or_else(|e| panic!("{e}"))
    }

    fn audiences() -> Vec<String> {
        vec![
            "https://op.example/token".into(),
            "https://op.example".into(),
        ]
    }

    fn good() -> Map<String, Value> {
        let claims = json!({
            "iss": "app", "sub": "app", "aud": "https://op.example/token", "jti": "j1",
            "iat": NOW, "nbf": NOW, "exp": NOW + 60,
        });
        claims.as_object().cloned().unwrap_or_default()
    }

    fn with(changes: Value) -> Map<String, Value> {
        let mut claims = good();
        for (k, v) in changes.as_object().cloned().unwrap_or_default() {
            if v.is_null() {
                claims.remove(&k);
            } else {
                claims.insert(k, v);
            }
        }
        claims
    }

    fn check(claims: &Map<String, Value>) -> Result<AcceptedAssertion, String> {
        check_assertion_claims(claims, &client(), &audiences(), now()).map_err(|e| e.description)
    }

    #[test]
    fn a_well_formed_assertion_is_usable_until_exp_plus_skew() {
        let accepted = check(&good());
        assert_eq!(
            accepted,
            Ok(AcceptedAssertion {
                jti: "j1".into(),
                usable_until: now() + Duration::seconds(120),
            })
        );
    }

    #[test]
    fn iss_and_sub_must_be_the_client_id() {
        assert!(check(&with(json!({"iss": "other"}))).is_err_and(|e| e.contains("iss")));
        assert!(check(&with(json!({"sub": "other"}))).is_err_and(|e| e.contains("sub")));
        assert!(check(&with(json!({"iss": null}))).is_err());
    }

    #[test]
    fn aud_must_name_the_token_endpoint_or_issuer() {
        assert!(check(&with(json!({"aud": "https://op.example"}))).is_ok());
        assert!(
            check(&with(
                json!({"aud": ["https://x.example", "https://op.example/token"]})
            ))
            .is_ok()
        );
        for aud in [
            json!("https://x.example"),
            json!(["https://x.example"]),
            json!(null),
            json!(7),
        ] {
            assert!(check(&with(json!({ "aud": aud }))).is_err_and(|e| e.contains("aud")));
        }
    }

    #[test]
    fn exp_is_required_and_honours_the_clock_skew() {
        assert!(check(&with(json!({"exp": null}))).is_err_and(|e| e.contains("lacks exp")));
        assert!(check(&with(json!({"exp": "soon"}))).is_err_and(|e| e.contains("not a number")));
        let old = json!({"iat": NOW - 100, "nbf": NOW - 100});
        let mut expired_within_skew = with(old.clone());
        expired_within_skew.insert("exp".into(), json!(NOW - 59));
        assert!(check(&expired_within_skew).is_ok());
        let mut expired = with(old);
        expired.insert("exp".into(), json!(NOW - 60));
        assert!(check(&expired).is_err_and(|e| e.contains("expired")));
        assert!(check(&with(json!({"exp": NOW as f64 + 30.5}))).is_ok());
    }

    #[test]
    fn assertions_live_at_most_ten_minutes() {
        let far = with(json!({"iat": null, "exp": NOW + 661}));
        assert!(check(&far).is_err_and(|e| e.contains("too far ahead")));
        assert!(check(&with(json!({"iat": null, "exp": NOW + 600}))).is_ok());
        let long = with(json!({"iat": NOW - 30, "exp": NOW + 600}));
        assert!(check(&long).is_err_and(|e| e.contains("lives too long")));
    }

    #[test]
    fn nbf_and_iat_must_not_be_in_the_future() {
        assert!(check(&with(json!({"nbf": NOW + 60}))).is_ok());
        assert!(check(&with(json!({"nbf": NOW + 61}))).is_err_and(|e| e.contains("nbf")));
        assert!(
            check(&with(json!({"iat": NOW + 61, "exp": NOW + 120})))
                .is_err_and(|e| e.contains("iat"))
        );
    }

    #[test]
    fn jti_is_required() {
        assert!(check(&with(json!({"jti": null}))).is_err_and(|e| e.contains("jti")));
        assert!(check(&with(json!({"jti": ""}))).is_err_and(|e| e.contains("jti")));
    }
}
