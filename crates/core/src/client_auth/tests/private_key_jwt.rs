//! private_key_jwt and the assertions it refuses (RFC 7523 §3, OIDC Core §9).

use super::*;

#[tokio::test]
async fn private_key_jwt_verifies_rs256_with_kid() {
    let other = TestKey::generate(JwsAlg::Rs256, Some("k0"));
    let key = TestKey::generate(JwsAlg::Rs256, Some("k1"));
    let app = with_keys(
        client("app", TokenEndpointAuthMethod::PrivateKeyJwt),
        &[&other, &key],
    );
    let creds = jwt(key.sign(&assertion_claims("app", "j1"), Some("k1")));
    assert_eq!(
        outcome(&creds, vec![app]).await,
        Ok(TokenEndpointAuthMethod::PrivateKeyJwt)
    );
}

#[tokio::test]
async fn private_key_jwt_without_kid_tries_each_key_of_the_alg_type() {
    let rsa = TestKey::generate(JwsAlg::Rs256, Some("r"));
    let ec_other = TestKey::generate(JwsAlg::Es256, Some("e0"));
    let ec = TestKey::generate(JwsAlg::Es256, Some("e1"));
    let ed = TestKey::generate(JwsAlg::EdDsa, None);
    let app = with_keys(
        client("app", TokenEndpointAuthMethod::PrivateKeyJwt),
        &[&rsa, &ec_other, &ec, &ed],
    );
    for (key, jti) in [(&ec, "j1"), (&ed, "j2")] {
        let creds = jwt(key.sign(&assertion_claims("app", jti), None));
        assert_eq!(
            outcome(&creds, vec![app.clone()]).await,
            Ok(TokenEndpointAuthMethod::PrivateKeyJwt),
            "{}",
            key.alg
        );
    }
}

#[tokio::test]
async fn the_assertion_must_be_signed_by_a_registered_key() {
    let registered = TestKey::generate(JwsAlg::Es256, Some("k1"));
    let stranger = TestKey::generate(JwsAlg::Es256, Some("k1"));
    let app = with_keys(
        client("app", TokenEndpointAuthMethod::PrivateKeyJwt),
        &[&registered],
    );
    let forged = jwt(stranger.sign(&assertion_claims("app", "j1"), Some("k1")));
    let result = outcome(&forged, vec![app.clone()]).await;
    assert_eq!(
        result,
        Err((
            InvalidClient,
            "the client assertion's signature does not verify".into()
        ))
    );
    let unknown_kid = jwt(registered.sign(&assertion_claims("app", "j2"), Some("k9")));
    assert_eq!(
        code(&outcome(&unknown_kid, vec![app.clone()]).await),
        Some(InvalidClient)
    );
    let mut tampered = registered.sign(&assertion_claims("app", "j3"), Some("k1"));
    tampered.push('A');
    assert_eq!(
        code(&outcome(&jwt(tampered), vec![app]).await),
        Some(InvalidClient)
    );
}

#[tokio::test]
async fn alg_none_and_hmac_are_refused_for_private_key_jwt() {
    let key = TestKey::generate(JwsAlg::Es256, None);
    let app = with_keys(
        client("app", TokenEndpointAuthMethod::PrivateKeyJwt),
        &[&key],
    );
    let none = jwt(unsigned(&assertion_claims("app", "j1")));
    let result = outcome(&none, vec![app.clone()]).await;
    assert!(
        matches!(&result, Err((InvalidClient, d)) if d.contains("alg is not accepted")),
        "{result:?}"
    );
    let hmac = jwt(sign_hs256(SECRET, &assertion_claims("app", "j2")));
    let result = outcome(&hmac, vec![app]).await;
    assert_eq!(
        result,
        Err((
            InvalidClient,
            "the client is registered for private_key_jwt, not client_secret_jwt".into()
        ))
    );
}

#[tokio::test]
async fn a_registered_signing_alg_is_the_only_one_accepted() {
    let rsa = TestKey::generate(JwsAlg::Rs256, None);
    let ec = TestKey::generate(JwsAlg::Es256, None);
    let mut app = with_keys(
        client("app", TokenEndpointAuthMethod::PrivateKeyJwt),
        &[&rsa, &ec],
    );
    app.metadata.token_endpoint_auth_signing_alg = Some(JwsAlg::Es256);
    let creds = jwt(rsa.sign(&assertion_claims("app", "j1"), None));
    let result = outcome(&creds, vec![app.clone()]).await;
    assert_eq!(
        result,
        Err((
            InvalidClient,
            "the client registered ES256 for its assertions, not RS256".into()
        ))
    );
    let creds = jwt(ec.sign(&assertion_claims("app", "j2"), None));
    assert!(outcome(&creds, vec![app]).await.is_ok());
}

#[tokio::test]
async fn a_key_whose_registered_alg_differs_is_not_used() {
    let mut key = TestKey::generate(JwsAlg::Rs256, None);
    key.public.insert("alg".into(), json!("PS256"));
    let app = with_keys(
        client("app", TokenEndpointAuthMethod::PrivateKeyJwt),
        &[&key],
    );
    let creds = jwt(key.sign(&assertion_claims("app", "j1"), None));
    assert_eq!(code(&outcome(&creds, vec![app]).await), Some(InvalidClient));
}

#[tokio::test]
async fn the_assertion_type_must_be_jwt_bearer() {
    let key = TestKey::generate(JwsAlg::Es256, None);
    let app = with_keys(
        client("app", TokenEndpointAuthMethod::PrivateKeyJwt),
        &[&key],
    );
    let token = key.sign(&assertion_claims("app", "j1"), None);
    let cases = [
        PresentedCredentials {
            client_assertion_type: Some(
                "urn:ietf:params:oauth:client-assertion-type:saml2-bearer".into(),
            ),
            ..jwt(token.clone())
        },
        PresentedCredentials {
            client_assertion_type: None,
            ..jwt(token)
        },
        PresentedCredentials {
            client_assertion: None,
            ..jwt(String::new())
        },
    ];
    for creds in cases {
        assert_eq!(
            code(&outcome(&creds, vec![app.clone()]).await),
            Some(InvalidRequest),
            "{creds:?}"
        );
    }
    let garbage = jwt("not-a-jwt".into());
    assert_eq!(
        code(&outcome(&garbage, vec![app]).await),
        Some(InvalidClient)
    );
}

#[tokio::test]
async fn assertion_claims_are_checked_after_the_signature() {
    let key = TestKey::generate(JwsAlg::Es256, None);
    let app = with_keys(
        client("app", TokenEndpointAuthMethod::PrivateKeyJwt),
        &[&key],
    );
    let mut claims = assertion_claims("app", "j1");
    claims["aud"] = json!("https://elsewhere.example/token");
    let result = outcome(&jwt(key.sign(&claims, None)), vec![app.clone()]).await;
    assert!(
        matches!(&result, Err((InvalidClient, d)) if d.contains("aud")),
        "{result:?}"
    );
    let mut claims = assertion_claims("app", "j2");
    claims["aud"] = json!([ISSUER]);
    claims["exp"] = json!(NOW - 61);
    claims["iat"] = json!(NOW - 120);
    claims["nbf"] = json!(NOW - 120);
    let result = outcome(&jwt(key.sign(&claims, None)), vec![app]).await;
    assert!(
        matches!(&result, Err((InvalidClient, d)) if d.contains("expired")),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_assertion_authenticates_only_once() {
    let key = TestKey::generate(JwsAlg::EdDsa, Some("ed"));
    let app = with_keys(
        client("app", TokenEndpointAuthMethod::PrivateKeyJwt),
        &[&key],
    );
    let clients = Clients::of(vec![app]);
    let replay = Replay::default();
    let creds = jwt(key.sign(&assertion_claims("app", "once"), Some("ed")));
    assert!(auth(&creds, &clients, &replay).await.is_ok());
    let again = auth(&creds, &clients, &replay)
        .await
        .map_err(|e| (e.code, e.description));
    assert!(
        matches!(&again, Err((InvalidClient, d)) if d.contains("already used")),
        "{again:?}"
    );
    let fresh = jwt(key.sign(&assertion_claims("app", "twice"), Some("ed")));
    assert!(auth(&fresh, &clients, &replay).await.is_ok());
    let kept_until = replay
        .recorded()
        .into_iter()
        .find(|(_, jti, _)| jti == "once")
        .map(|(_, _, until)| until.timestamp());
    assert_eq!(kept_until, Some(NOW + 60 + 60), "exp plus the clock skew");
}

#[tokio::test]
async fn jwks_uri_clients_are_refused_until_fetching_is_guarded() {
    let key = TestKey::generate(JwsAlg::Es256, None);
    let mut app = client("app", TokenEndpointAuthMethod::PrivateKeyJwt);
    app.metadata.jwks_uri = Some("https://rp.example/jwks".into());
    let creds = jwt(key.sign(&assertion_claims("app", "j1"), None));
    let result = outcome(&creds, vec![app]).await;
    assert!(
        matches!(&result, Err((InvalidClient, d)) if d.contains("jwks_uri")),
        "{result:?}"
    );
}
