//! The JWK Set: one key per algorithm, public members only, RFC 7638 `kid`s.

use std::collections::HashSet;

use crate::helpers::{Backend, spawn_app};

async fn jwks_publishes_rsa_ec_and_okp_keys_without_private_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/jwks").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/jwk-set+json"
    );
    let cache = response.headers()["cache-control"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(cache.starts_with("public, max-age="), "{cache}");
    let jwks: serde_json::Value = response.json().await.unwrap_or_default();
    let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    let kinds: HashSet<(String, String)> = keys
        .iter()
        .map(|k| {
            (
                k["kty"].as_str().unwrap_or_default().to_owned(),
                k["alg"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("RSA", "RS256"),
        ("RSA", "PS256"),
        ("EC", "ES256"),
        ("OKP", "EdDSA"),
    ] {
        assert!(
            kinds.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "missing {expected:?}"
        );
    }
    let kids: HashSet<&str> = keys.iter().filter_map(|k| k["kid"].as_str()).collect();
    assert_eq!(kids.len(), keys.len(), "kids are present and unique");
    for key in &keys {
        assert_eq!(key["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(
                key.get(private).is_none(),
                "private member {private} published"
            );
        }
        let map = key.as_object().cloned().unwrap_or_default();
        assert_eq!(
            valet_core::keys::thumbprint(&map).ok().as_deref(),
            key["kid"].as_str(),
            "kid is the RFC 7638 thumbprint"
        );
    }
}

crate::on_both_backends!(jwks_publishes_rsa_ec_and_okp_keys_without_private_members);
