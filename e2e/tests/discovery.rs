//! Discovery and key publication seen by a real relying party library: OpenID Connect Discovery 1.0 §3–4,
//! RFC 8414 §3, RFC 7517 (JWK Set), against the `valet` binary on SQLite and on PostgreSQL.

mod support;

use std::collections::BTreeSet;

use openidconnect::core::{CoreJsonWebKey, CoreProviderMetadata};
use openidconnect::{IssuerUrl, JsonWebKey};
use serde_json::Value;
use support::{Backend, Deployment, TestResult};

/// Media types: RFC 8414 §3.2 / OIDC Discovery §4.2, and RFC 7517 §8.5.
const JSON: &str = "application/json";
const JWK_SET: &str = "application/jwk-set+json";

/// Members that only a private (or symmetric) JWK carries (RFC 7518 §6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

async fn openidconnect_discovers_issuer_and_public_keys(backend: Backend) -> TestResult {
    let deployment = Deployment::new(backend)?;
    let valet = deployment.start().await?;
    // As openidconnect's docs advise: following redirects would expose the client to SSRF.
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()?;

    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(valet.issuer.clone())?, &http).await?;

    assert_eq!(metadata.issuer().as_str(), valet.issuer);
    let jwks_uri = metadata.jwks_uri().url().as_str();
    assert!(
        jwks_uri.starts_with(&format!("{}/", valet.issuer)),
        "jwks_uri {jwks_uri} is not under the issuer"
    );
    let keys = metadata.jwks().keys();
    assert!(
        keys.len() >= 4,
        "expected at least 4 keys, got {}",
        keys.len()
    );
    let kids = key_ids(keys)?;
    assert_eq!(kids.len(), keys.len(), "kids are not unique: {kids:?}");
    let kinds = keys
        .iter()
        .map(key_kind)
        .collect::<TestResult<BTreeSet<_>>>()?;
    for wanted in [
        ("RSA", None),
        ("EC", Some("P-256")),
        ("OKP", Some("Ed25519")),
    ] {
        let wanted = (wanted.0.to_owned(), wanted.1.map(str::to_owned));
        assert!(kinds.contains(&wanted), "no {wanted:?} key among {kinds:?}");
    }

    let raw = json_document(jwks_uri, JWK_SET).await?;
    let raw_keys = raw["keys"]
        .as_array()
        .ok_or("the JWKS has no `keys` array")?;
    assert_eq!(
        raw_keys.len(),
        keys.len(),
        "openidconnect skipped keys it could not parse: {raw}"
    );
    for key in raw_keys {
        let object = key.as_object().ok_or("a JWK is not an object")?;
        let leaked: Vec<&str> = PRIVATE_MEMBERS
            .into_iter()
            .filter(|m| object.contains_key(*m))
            .collect();
        assert!(
            leaked.is_empty(),
            "JWK {} publishes private members {leaked:?}",
            key["kid"]
        );
    }
    Ok(())
}

async fn restart_keeps_keys_and_creates_no_second_admin(backend: Backend) -> TestResult {
    let deployment = Deployment::new(backend)?;
    let first = deployment.start().await?;
    let kids_before = published_kids(&first.url("/jwks")).await?;
    let first_stdout = first.stop()?;
    assert!(
        first_stdout.contains("password:"),
        "first start printed no admin password:\n{first_stdout}"
    );

    let second = deployment.start().await?;
    let kids_after = published_kids(&second.url("/jwks")).await?;
    let second_stdout = second.stop()?;

    assert_eq!(kids_before, kids_after, "the JWKS changed across a restart");
    assert!(
        !second_stdout.contains("password") && !second_stdout.contains("administrator"),
        "the restart created another administrator:\n{second_stdout}"
    );
    Ok(())
}

async fn rfc8414_metadata_equals_openid_configuration(backend: Backend) -> TestResult {
    let deployment = Deployment::new(backend)?;
    let valet = deployment.start().await?;
    let oidc = json_document(&valet.url("/.well-known/openid-configuration"), JSON).await?;
    let oauth = json_document(&valet.url("/.well-known/oauth-authorization-server"), JSON).await?;
    assert_eq!(oauth, oidc);
    assert_eq!(oauth["issuer"], Value::String(valet.issuer.clone()));
    Ok(())
}

fn key_ids(keys: &[CoreJsonWebKey]) -> TestResult<BTreeSet<String>> {
    keys.iter()
        .map(|k| match k.key_id() {
            Some(kid) if !kid.is_empty() => Ok(kid.to_string()),
            _ => Err(format!("a key has no kid: {k:?}").into()),
        })
        .collect()
}

/// `kty` and `crv` as openidconnect understood them (its key fields are private, its serialization is not).
fn key_kind(key: &CoreJsonWebKey) -> TestResult<(String, Option<String>)> {
    let json = serde_json::to_value(key)?;
    let kty = json["kty"].as_str().ok_or("a key has no kty")?.to_owned();
    Ok((kty, json["crv"].as_str().map(str::to_owned)))
}

async fn published_kids(jwks_uri: &str) -> TestResult<BTreeSet<String>> {
    let jwks = json_document(jwks_uri, JWK_SET).await?;
    let keys = jwks["keys"]
        .as_array()
        .ok_or("the JWKS has no `keys` array")?;
    let kids = keys.iter().map(|k| {
        k["kid"]
            .as_str()
            .map(str::to_owned)
            .ok_or("a key has no kid")
    });
    Ok(kids.collect::<Result<_, _>>()?)
}

async fn json_document(url: &str, media_type: &str) -> TestResult<Value> {
    let resp = reqwest::get(url).await?.error_for_status()?;
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or_default());
    assert_eq!(content_type, Some(media_type), "{url}");
    Ok(resp.json().await?)
}

#[tokio::test]
async fn openidconnect_discovers_issuer_and_public_keys_on_sqlite() -> TestResult {
    openidconnect_discovers_issuer_and_public_keys(Backend::Sqlite).await
}

#[tokio::test]
async fn openidconnect_discovers_issuer_and_public_keys_on_postgres() -> TestResult {
    openidconnect_discovers_issuer_and_public_keys(Backend::Postgres).await
}

#[tokio::test]
async fn restart_keeps_keys_and_creates_no_second_admin_on_sqlite() -> TestResult {
    restart_keeps_keys_and_creates_no_second_admin(Backend::Sqlite).await
}

#[tokio::test]
async fn restart_keeps_keys_and_creates_no_second_admin_on_postgres() -> TestResult {
    restart_keeps_keys_and_creates_no_second_admin(Backend::Postgres).await
}

#[tokio::test]
async fn rfc8414_metadata_equals_openid_configuration_on_sqlite() -> TestResult {
    rfc8414_metadata_equals_openid_configuration(Backend::Sqlite).await
}

#[tokio::test]
async fn rfc8414_metadata_equals_openid_configuration_on_postgres() -> TestResult {
    rfc8414_metadata_equals_openid_configuration(Backend::Postgres).await
}
