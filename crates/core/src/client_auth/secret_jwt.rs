//! client_secret_jwt (OIDC Core §9, RFC 7523 §2.2): the assertion is an HMAC (RFC 7518 §3.2, HS256,
//! HS384 or HS512) keyed with the octets of the client secret. The hash kept for client_secret_basic
//! cannot key an HMAC, so these clients' secrets are also kept sealed under the master key and opened
//! here for the time of the check. Its claims and replay rules are private_key_jwt's.

use josekit::jws::{HS256, HS384, HS512, JwsVerifier};
use serde_json::{Map, Value};

use super::ClientAuthError;
use super::assertion::{self, UnverifiedAssertion};
use crate::client::{Client, JwsAlg, open_secret};
use crate::keys::MasterKey;
use crate::secret::Secret;

/// Verifies the HMAC with the client's opened secret and returns the claims.
pub(super) fn verify_hmac(
    jwt: &UnverifiedAssertion,
    client: &Client,
    master: &MasterKey,
) -> Result<Map<String, Value>, ClientAuthError> {
    assertion::check_signing_alg(jwt, client)?;
    let secret = current_secret(client, master)?;
    let verifier = hmac_verifier(jwt.alg, &secret)?;
    let (payload, _) = josekit::jws::deserialize_compact(&jwt.token, verifier.as_ref())
        .map_err(|_| assertion::signature_does_not_verify())?;
    assertion::claims_object(&payload)
}

/// The sealed secret, opened. It must still be the current secret: a secret replaced by its hash
/// alone (a rotation) must not go on keying assertions.
fn current_secret(client: &Client, master: &MasterKey) -> Result<Secret, ClientAuthError> {
    let sealed = client.sealed_secret.as_ref().ok_or_else(|| {
        ClientAuthError::invalid_client(
            "the client has no sealed secret to verify client_secret_jwt assertions with; register its client_secret again",
        )
    })?;
    let secret = open_secret(master, &client.client_id, sealed)
        .map_err(|e| ClientAuthError::server_failure(&e))?;
    let current = client
        .secret_hash
        .as_ref()
        .is_some_and(|hash| hash.matches(&secret));
    if !current {
        return Err(ClientAuthError::invalid_client(
            "the client's sealed secret is not its current secret; register its client_secret again",
        ));
    }
    Ok(secret)
}

/// RFC 7518 §3.2: the key is at least as long as the hash output, which josekit enforces.
fn hmac_verifier(alg: JwsAlg, secret: &Secret) -> Result<Box<dyn JwsVerifier>, ClientAuthError> {
    let key = secret.expose().as_bytes();
    let (verifier, min_len): (Result<Box<dyn JwsVerifier>, _>, usize) = match alg {
        JwsAlg::Hs256 => (HS256.verifier_from_bytes(key).map(boxed), 32),
        JwsAlg::Hs384 => (HS384.verifier_from_bytes(key).map(boxed), 48),
        JwsAlg::Hs512 => (HS512.verifier_from_bytes(key).map(boxed), 64),
        other => {
            return Err(ClientAuthError::invalid_client(&format!(
                "client_secret_jwt assertions are signed with HS256, HS384 or HS512, not {other}"
            )));
        }
    };
    verifier.map_err(|_| {
        ClientAuthError::invalid_client(&format!(
            "the client secret is too short to key {alg} (at least {min_len} bytes)"
        ))
    })
}

fn boxed<V: JwsVerifier + 'static>(verifier: V) -> Box<dyn JwsVerifier> {
    Box::new(verifier)
}
