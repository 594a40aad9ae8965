//! JWK thumbprints (RFC 7638), used as `kid`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::KeyError;

/// SHA-256 thumbprint of the required public members, base64url-encoded (RFC 7638 §3).
pub fn thumbprint(jwk: &Map<String, Value>) -> Result<String, KeyError> {
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
    let required: &[&str] = match kty {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        other => {
            return Err(KeyError::Crypto(format!(
                "no thumbprint rule for key type `{other}`"
            )));
        }
    };
    // Members in lexicographic order, no whitespace: serde_json's writer on a sorted map does exactly that.
    let mut canonical = Map::new();
    for name in required {
        let value = jwk
            .get(*name)
            .and_then(Value::as_str)
            .ok_or_else(|| KeyError::Crypto(format!("JWK lacks required member `{name}`")))?;
        canonical.insert((*name).to_owned(), Value::String(value.to_owned()));
    }
    let json = serde_json::to_vec(&canonical).map_err(|e| KeyError::Crypto(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(json)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_section_3_1_example() {
        let jwk = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        let map = jwk.as_object().cloned().unwrap_or_default();
        assert_eq!(
            thumbprint(&map).ok().as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn unknown_key_types_and_missing_members_are_refused() {
        let oct = serde_json::json!({"kty": "oct", "k": "AAAA"});
        assert!(thumbprint(oct.as_object().unwrap_or(&Map::new())).is_err());
        let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AA"});
        assert!(thumbprint(ec.as_object().unwrap_or(&Map::new())).is_err());
    }
}
