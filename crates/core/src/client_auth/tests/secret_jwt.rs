//! client_secret_jwt: HMAC assertions keyed with the client secret, opened from its sealed form (OIDC
//! Core §9, RFC 7523 §3).

use super::*;
use crate::keys::MasterKey;
use crate::random::OsRandom;

/// 64 bytes: long enough to key HS512.
const LONG_SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn secret_jwt_client(secret: &str) -> Client {
    with_sealed_secret(
        client("app", TokenEndpointAuthMethod::ClientSecretJwt),
        &master_key(),
        secret,
    )
}

#[tokio::test]
async fn client_secret_jwt_verifies_an_hs256_assertion() {
    let creds = jwt(sign_hs256(SECRET, &assertion_claims("app", "j1")));
    assert_eq!(
        outcome(&creds, vec![secret_jwt_client(SECRET)]).await,
        Ok(TokenEndpointAuthMethod::ClientSecretJwt)
    );
}

#[tokio::test]
async fn client_secret_jwt_verifies_hs384_and_hs512() {
    let app = secret_jwt_client(LONG_SECRET);
    for (alg, jti) in [(JwsAlg::Hs384, "j1"), (JwsAlg::Hs512, "j2")] {
        let creds = jwt(sign_hmac(alg, LONG_SECRET, &assertion_claims("app", jti)));
        assert_eq!(
            outcome(&creds, vec![app.clone()]).await,
            Ok(TokenEndpointAuthMethod::ClientSecretJwt),
            "{alg}"
        );
    }
}

#[tokio::test]
async fn an_assertion_keyed_with_another_secret_is_refused() {
    let other = "another-secret-that-is-long-enough-for-hs256";
    let creds = jwt(sign_hs256(other, &assertion_claims("app", "j1")));
    assert_eq!(
        outcome(&creds, vec![secret_jwt_client(SECRET)]).await,
        Err((
            InvalidClient,
            "the client assertion's signature does not verify".into()
        ))
    );
    let mut tampered = sign_hs256(SECRET, &assertion_claims("app", "j2"));
    tampered.push('A');
    assert_eq!(
        code(&outcome(&jwt(tampered), vec![secret_jwt_client(SECRET)]).await),
        Some(InvalidClient)
    );
}

#[tokio::test]
async fn a_client_secret_jwt_assertion_authenticates_only_once() {
    let clients = Clients::of(vec![secret_jwt_client(SECRET)]);
    let replay = Replay::default();
    let creds = jwt(sign_hs256(SECRET, &assertion_claims("app", "once")));
    assert!(auth(&creds, &clients, &replay).await.is_ok());
    let again = auth(&creds, &clients, &replay)
        .await
        .map_err(|e| (e.code, e.description));
    assert!(
        matches!(&again, Err((InvalidClient, d)) if d.contains("already used")),
        "{again:?}"
    );
}

#[tokio::test]
async fn client_secret_jwt_accepts_only_the_registered_hmac_alg() {
    let mut app = secret_jwt_client(LONG_SECRET);
    app.metadata.token_endpoint_auth_signing_alg = Some(JwsAlg::Hs512);
    let creds = jwt(sign_hs256(LONG_SECRET, &assertion_claims("app", "j1")));
    assert_eq!(
        outcome(&creds, vec![app.clone()]).await,
        Err((
            InvalidClient,
            "the client registered HS512 for its assertions, not HS256".into()
        ))
    );
    let creds = jwt(sign_hmac(
        JwsAlg::Hs512,
        LONG_SECRET,
        &assertion_claims("app", "j2"),
    ));
    assert!(outcome(&creds, vec![app]).await.is_ok());
}

#[tokio::test]
async fn asymmetric_and_unsigned_assertions_are_refused_for_client_secret_jwt() {
    let key = TestKey::generate(JwsAlg::Es256, None);
    let app = with_keys(secret_jwt_client(SECRET), &[&key]);
    let creds = jwt(key.sign(&assertion_claims("app", "j1"), None));
    assert_eq!(
        outcome(&creds, vec![app.clone()]).await,
        Err((
            InvalidClient,
            "the client is registered for client_secret_jwt, not private_key_jwt".into()
        ))
    );
    let none = jwt(unsigned(&assertion_claims("app", "j2")));
    assert_eq!(code(&outcome(&none, vec![app]).await), Some(InvalidClient));
}

#[tokio::test]
async fn a_secret_too_short_for_the_alg_is_refused() {
    let creds = jwt(sign_hmac(
        JwsAlg::Hs512,
        LONG_SECRET,
        &assertion_claims("app", "j1"),
    ));
    let result = outcome(&creds, vec![secret_jwt_client(SECRET)]).await;
    assert_eq!(
        result,
        Err((
            InvalidClient,
            "the client secret is too short to key HS512 (at least 64 bytes)".into()
        ))
    );
}

#[tokio::test]
async fn the_claims_rules_are_those_of_private_key_jwt() {
    let mut claims = assertion_claims("app", "j1");
    claims["aud"] = json!("https://elsewhere.example/token");
    let result = outcome(
        &jwt(sign_hs256(SECRET, &claims)),
        vec![secret_jwt_client(SECRET)],
    )
    .await;
    assert!(
        matches!(&result, Err((InvalidClient, d)) if d.contains("aud")),
        "{result:?}"
    );
    let mut claims = assertion_claims("app", "j2");
    claims["iss"] = json!("someone-else");
    let result = outcome(
        &jwt(sign_hs256(SECRET, &claims)),
        vec![secret_jwt_client(SECRET)],
    )
    .await;
    assert!(
        matches!(&result, Err((InvalidClient, d)) if d.contains("iss")),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_client_without_a_sealed_secret_is_refused() {
    let hashed_only = confidential("app", TokenEndpointAuthMethod::ClientSecretJwt);
    let creds = jwt(sign_hs256(SECRET, &assertion_claims("app", "j1")));
    let result = outcome(&creds, vec![hashed_only]).await;
    assert!(
        matches!(&result, Err((InvalidClient, d)) if d.contains("no sealed secret")),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_sealed_secret_replaced_by_a_rotation_no_longer_verifies() {
    let mut app = secret_jwt_client(SECRET);
    app.secret_hash = Some(crate::secret::Secret::new(LONG_SECRET).sha256());
    let creds = jwt(sign_hs256(SECRET, &assertion_claims("app", "j1")));
    let result = outcome(&creds, vec![app]).await;
    assert!(
        matches!(&result, Err((InvalidClient, d)) if d.contains("not its current secret")),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_sealed_secret_the_master_key_does_not_open_is_a_server_error() {
    let app = with_sealed_secret(
        client("app", TokenEndpointAuthMethod::ClientSecretJwt),
        &MasterKey::generate(&OsRandom),
        SECRET,
    );
    let creds = jwt(sign_hs256(SECRET, &assertion_claims("app", "j1")));
    let err = auth(&creds, &Clients::of(vec![app]), &Replay::default())
        .await
        .err()
        .unwrap_or_else(|| panic!("must fail"));
    assert_eq!(err.code, ServerError);
    assert!(
        !err.description.contains("master key"),
        "{}",
        err.description
    );
    assert!(err.cause.is_some_and(|c| c.contains("master key")));
}

#[tokio::test]
async fn a_sealed_secret_moved_to_another_client_does_not_open() {
    let mut app = secret_jwt_client(SECRET);
    let other = with_sealed_secret(
        client("other", TokenEndpointAuthMethod::ClientSecretJwt),
        &master_key(),
        SECRET,
    );
    app.sealed_secret = other.sealed_secret;
    let creds = jwt(sign_hs256(SECRET, &assertion_claims("app", "j1")));
    assert_eq!(code(&outcome(&creds, vec![app]).await), Some(ServerError));
}
