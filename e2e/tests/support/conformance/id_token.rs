//! `PerformStandardIdTokenChecks` (CONFORMANCE.md §2.4) and the signature rules of §2.2, on ID tokens
//! from either endpoint.

use josekit::jwk::Jwk;
use josekit::jws::{self, JwsVerifier};
use serde_json::{Map, Value};

use super::SuiteClient;
use super::checks::check_standard_claims;
use super::op::Op;
use crate::support::TestResult;
use crate::support::oidc;

impl Op<'_> {
    /// CONFORMANCE.md §2.4 `PerformStandardIdTokenChecks` (5-minute skew), plus `kid` and RS256
    /// (oidcc-idtoken-signature, for a client that registered no `id_token_signed_response_alg`).
    pub fn check_id_token(
        &self,
        jwt: &str,
        client: &SuiteClient,
        nonce: Option<&str>,
    ) -> TestResult<(Map<String, Value>, Map<String, Value>)> {
        let (header, claims) = self.verify_signature(jwt)?;
        assert_eq!(
            header.get("alg"),
            Some(&Value::from("RS256")),
            "EnsureIdTokenSignatureIsRS256"
        );
        let now = oidc::now_secs();
        let skew = 5 * 60;
        assert_eq!(
            claims.get("iss").and_then(Value::as_str),
            Some(self.issuer.as_str()),
            "ValidateIdToken: iss"
        );
        let aud_ok = match claims.get("aud") {
            Some(Value::String(aud)) => aud == client.id,
            Some(Value::Array(auds)) => auds.iter().any(|a| a == client.id),
            _ => false,
        };
        assert!(aud_ok, "ValidateIdToken: aud {:?}", claims.get("aud"));
        let exp = oidc::int(&claims, "exp")?;
        assert!(
            exp > now - skew,
            "ValidateIdToken: expired (exp {exp}, now {now})"
        );
        assert!(
            exp < now + 50 * 366 * 24 * 3600,
            "ValidateIdToken: exp in milliseconds?"
        );
        let iat = oidc::int(&claims, "iat")?;
        assert!(iat <= now + skew, "ValidateIdToken: iat in the future");
        assert!(
            iat >= now - skew,
            "ValidateIdToken: iat more than 5 minutes old"
        );
        if claims.contains_key("auth_time") {
            let auth_time = oidc::int(&claims, "auth_time")?;
            assert!(
                auth_time <= now + skew,
                "ValidateIdToken: auth_time in the future"
            );
            assert!(
                auth_time > now - 366 * 24 * 3600,
                "ValidateIdToken: auth_time over a year old"
            );
        }
        if let Some(acr) = claims.get("acr") {
            assert_ne!(acr, "", "ValidateIdToken: empty acr");
        }
        check_standard_claims(&claims, "ValidateIdTokenStandardClaims");
        assert_eq!(
            claims.get("nonce").and_then(Value::as_str),
            nonce,
            "ValidateIdTokenNonce"
        );
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or("CheckForSubjectInIdToken: no sub")?;
        assert!(
            !sub.is_empty() && sub.len() <= 255 && sub.bytes().all(|b| (0x20..=0x7e).contains(&b)),
            "CheckForSubjectInIdToken: {sub:?}"
        );
        Ok((header, claims))
    }

    /// `ValidateIdTokenSignature` (CONFORMANCE.md §2.2): the header's `kid` names exactly one published
    /// key of the header's `kty`, whose `alg` and `use` (if set) agree, and that key verifies.
    pub fn verify_signature(
        &self,
        jwt: &str,
    ) -> TestResult<(Map<String, Value>, Map<String, Value>)> {
        let (header, _) = oidc::jwt_parts(jwt)?;
        let alg = header.get("alg").and_then(Value::as_str).ok_or("no alg")?;
        let kid = header
            .get("kid")
            .and_then(Value::as_str)
            .ok_or("EnsureIdTokenContainsKid")?;
        let kty = match alg {
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => "RSA",
            "ES256" | "ES384" | "ES512" => "EC",
            "EdDSA" => "OKP",
            other => return Err(format!("unexpected JWS alg {other}").into()),
        };
        let candidates: Vec<&Map<String, Value>> = self
            .jwks
            .iter()
            .filter(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
            .filter(|k| k.get("kty").and_then(Value::as_str) == Some(kty))
            .filter(|k| k.get("alg").is_none_or(|a| a == alg))
            .filter(|k| k.get("use").is_none_or(|u| u == "sig"))
            .collect();
        let [key] = candidates.as_slice() else {
            return Err(format!(
                "{} published keys match kid {kid} and alg {alg}",
                candidates.len()
            )
            .into());
        };
        let jwk = Jwk::from_map((*key).clone())?;
        let verifier: Box<dyn JwsVerifier> = match alg {
            "RS256" => Box::new(jws::RS256.verifier_from_jwk(&jwk)?),
            "PS256" => Box::new(jws::PS256.verifier_from_jwk(&jwk)?),
            "ES256" => Box::new(jws::ES256.verifier_from_jwk(&jwk)?),
            "EdDSA" => Box::new(jws::EdDSA.verifier_from_jwk(&jwk)?),
            other => return Err(format!("no verifier for {other}").into()),
        };
        let (payload, _) = jws::deserialize_compact(jwt, verifier.as_ref())?;
        Ok((header, serde_json::from_slice(&payload)?))
    }
}
