//! The client assertion as a JWS: its parameters (RFC 7521 §4.2), the algorithm it names, and the
//! signature check against the client's registered keys (RFC 7523 §3 item 9, OIDC Core §9).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jws::{
    ES256, ES384, ES512, EdDSA, JwsVerifier, PS256, PS384, PS512, RS256, RS384, RS512,
};
use serde_json::{Map, Value};

use super::ClientAuthError;
use crate::client::{Client, JwsAlg, TokenEndpointAuthMethod};

/// The only `client_assertion_type` Valet accepts (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client assertion before its signature is checked: only its header and `sub` (to find the
/// client whose keys verify it) have been read.
pub(super) struct UnverifiedAssertion {
    pub(super) token: String,
    pub(super) alg: JwsAlg,
    kid: Option<String>,
    pub(super) client_id: String,
}

impl fmt::Debug for UnverifiedAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnverifiedAssertion")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl UnverifiedAssertion {
    pub(super) fn parse(
        assertion_type: Option<&str>,
        assertion: Option<&str>,
    ) -> Result<Self, ClientAuthError> {
        match assertion_type {
            None => {
                return Err(ClientAuthError::invalid_request(
                    "client_assertion is given without client_assertion_type",
                ));
            }
            Some(JWT_BEARER_ASSERTION_TYPE) => {}
            Some(_) => {
                return Err(ClientAuthError::invalid_request(&format!(
                    "client_assertion_type must be {JWT_BEARER_ASSERTION_TYPE}"
                )));
            }
        }
        let token = assertion.ok_or_else(|| {
            ClientAuthError::invalid_request(
                "client_assertion_type is given without client_assertion",
            )
        })?;
        let malformed = || ClientAuthError::invalid_client("client_assertion is not a signed JWT");
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        let header = json_object(header).ok_or_else(malformed)?;
        let payload = json_object(payload).ok_or_else(malformed)?;
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(|alg| alg.parse::<JwsAlg>().ok())
            .ok_or_else(|| {
                ClientAuthError::invalid_client(
                    "the client assertion's alg is not accepted (never none, only RS, PS, ES, EdDSA and HS algorithms)",
                )
            })?;
        let client_id = payload
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| ClientAuthError::invalid_client("the client assertion lacks sub"))?;
        Ok(Self {
            token: token.to_owned(),
            alg,
            kid: header.get("kid").and_then(Value::as_str).map(str::to_owned),
            client_id: client_id.to_owned(),
        })
    }

    /// HMAC assertions are client_secret_jwt, the others private_key_jwt (OIDC Core §9).
    pub(super) fn method(&self) -> TokenEndpointAuthMethod {
        match self.alg {
            JwsAlg::Hs256 | JwsAlg::Hs384 | JwsAlg::Hs512 => {
                TokenEndpointAuthMethod::ClientSecretJwt
            }
            _ => TokenEndpointAuthMethod::PrivateKeyJwt,
        }
    }
}

fn json_object(segment: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// private_key_jwt: verifies the signature with the client's registered keys and returns the claims.
pub(super) fn verify_signature(
    jwt: &UnverifiedAssertion,
    client: &Client,
) -> Result<Map<String, Value>, ClientAuthError> {
    check_signing_alg(jwt, client)?;
    let keys = registered_keys(client)?;
    let candidates = candidate_keys(keys, jwt.kid.as_deref(), jwt.alg);
    if candidates.is_empty() {
        return Err(ClientAuthError::invalid_client(
            "no registered key of the client fits the client assertion's kid and alg",
        ));
    }
    let payload = candidates
        .into_iter()
        .find_map(|jwk| verify_with(jwt, jwk))
        .ok_or_else(signature_does_not_verify)?;
    claims_object(&payload)
}

pub(super) fn signature_does_not_verify() -> ClientAuthError {
    ClientAuthError::invalid_client("the client assertion's signature does not verify")
}

/// The verified payload as a JSON object.
pub(super) fn claims_object(payload: &[u8]) -> Result<Map<String, Value>, ClientAuthError> {
    serde_json::from_slice(payload).map_err(|_| {
        ClientAuthError::invalid_client("the client assertion's claims are not a JSON object")
    })
}

/// A registered `token_endpoint_auth_signing_alg` is the only one accepted (OIDC Registration §2).
pub(super) fn check_signing_alg(
    jwt: &UnverifiedAssertion,
    client: &Client,
) -> Result<(), ClientAuthError> {
    match client.metadata.token_endpoint_auth_signing_alg {
        Some(registered) if registered != jwt.alg => {
            Err(ClientAuthError::invalid_client(&format!(
                "the client registered {registered} for its assertions, not {}",
                jwt.alg
            )))
        }
        _ => Ok(()),
    }
}

/// The inline JWK Set's keys. Keys behind `jwks_uri` would need an outbound fetch guarded against
/// SSRF, which does not exist yet.
fn registered_keys(client: &Client) -> Result<&[Value], ClientAuthError> {
    match (&client.metadata.jwks, &client.metadata.jwks_uri) {
        (Some(jwks), _) => Ok(jwks
            .get("keys")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()),
        (None, Some(_)) => Err(ClientAuthError::invalid_client(
            "the client's keys are registered by jwks_uri, which Valet does not fetch yet; register them inline as jwks",
        )),
        (None, None) => Err(ClientAuthError::invalid_client(
            "the client has no registered keys (jwks)",
        )),
    }
}

/// Keys that may have signed: the one named by `kid` when the header has one, else every key whose
/// type fits the algorithm.
fn candidate_keys<'a>(
    keys: &'a [Value],
    kid: Option<&str>,
    alg: JwsAlg,
) -> Vec<&'a Map<String, Value>> {
    keys.iter()
        .filter_map(Value::as_object)
        .filter(|jwk| {
            key_type(alg).is_some_and(|kty| jwk.get("kty").and_then(Value::as_str) == Some(kty))
        })
        .filter(|jwk| kid.is_none_or(|kid| jwk.get("kid").and_then(Value::as_str) == Some(kid)))
        .collect()
}

fn key_type(alg: JwsAlg) -> Option<&'static str> {
    match alg {
        JwsAlg::Rs256 | JwsAlg::Rs384 | JwsAlg::Rs512 => Some("RSA"),
        JwsAlg::Ps256 | JwsAlg::Ps384 | JwsAlg::Ps512 => Some("RSA"),
        JwsAlg::Es256 | JwsAlg::Es384 | JwsAlg::Es512 => Some("EC"),
        JwsAlg::EdDsa => Some("OKP"),
        JwsAlg::Hs256 | JwsAlg::Hs384 | JwsAlg::Hs512 => None,
    }
}

/// The payload when `jwk` verifies the signature. The key's own `alg`, `use` and `key_ops` must
/// allow it (josekit checks); its `kid` is dropped because `candidate_keys` already matched it, and
/// a header without `kid` is valid for a key that has one.
fn verify_with(jwt: &UnverifiedAssertion, jwk: &Map<String, Value>) -> Option<Vec<u8>> {
    let mut jwk = jwk.clone();
    jwk.remove("kid");
    let jwk = Jwk::from_map(jwk).ok()?;
    let verifier = verifier(jwt.alg, &jwk)?;
    josekit::jws::deserialize_compact(&jwt.token, verifier.as_ref())
        .ok()
        .map(|(payload, _)| payload)
}

fn verifier(alg: JwsAlg, jwk: &Jwk) -> Option<Box<dyn JwsVerifier>> {
    fn boxed<V: JwsVerifier + 'static, E>(v: Result<V, E>) -> Option<Box<dyn JwsVerifier>> {
        v.ok().map(|v| Box::new(v) as Box<dyn JwsVerifier>)
    }
    match alg {
        JwsAlg::Rs256 => boxed(RS256.verifier_from_jwk(jwk)),
        JwsAlg::Rs384 => boxed(RS384.verifier_from_jwk(jwk)),
        JwsAlg::Rs512 => boxed(RS512.verifier_from_jwk(jwk)),
        JwsAlg::Ps256 => boxed(PS256.verifier_from_jwk(jwk)),
        JwsAlg::Ps384 => boxed(PS384.verifier_from_jwk(jwk)),
        JwsAlg::Ps512 => boxed(PS512.verifier_from_jwk(jwk)),
        JwsAlg::Es256 => boxed(ES256.verifier_from_jwk(jwk)),
        JwsAlg::Es384 => boxed(ES384.verifier_from_jwk(jwk)),
        JwsAlg::Es512 => boxed(ES512.verifier_from_jwk(jwk)),
        JwsAlg::EdDsa => boxed(EdDSA.verifier_from_jwk(jwk)),
        JwsAlg::Hs256 | JwsAlg::Hs384 | JwsAlg::Hs512 => None,
    }
}
