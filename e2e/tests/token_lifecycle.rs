//! The life of a token after the code flow, with the `openidconnect` crate as the relying party against
//! the `valet` binary (`support::lifecycle`): refresh (RFC 6749 §6) with rotation and reuse
//! detection (RFC 9700 §4.14.2), the ID token of a refresh (OIDC Core §12.2), revocation (RFC 7009) and
//! introspection (RFC 7662, with the access token claims of RFC 9068 §2.2); every rule on SQLite and on
//! PostgreSQL.

mod support;

use std::time::Duration;

use openidconnect::core::CoreErrorResponseType;
use openidconnect::{
    Nonce, OAuth2TokenResponse, RequestTokenError, TokenIntrospectionResponse, TokenResponse,
};
use reqwest::StatusCode;
use serde_json::Value;
use support::lifecycle::{APP, OTHER, Provider, invalid_grant, provisioning};
use support::oidc;
use support::{Backend, Deployment, TestResult};

const OFFLINE: [&str; 3] = ["profile", "email", "offline_access"];

/// RFC 9700 §4.14.2: each refresh rotates the token; presenting a rotated one revokes its chain (the
/// fresh token too), while another login's chain of the same user and client lives on.
async fn refresh_rotates_and_reuse_revokes_only_that_chain(backend: Backend) -> TestResult {
    let deployment = Deployment::provisioned(backend, &provisioning())?;
    let op = Provider::start(&deployment).await?;
    let rp = op.client(APP)?;
    let first = op.sign_in(&rp, &OFFLINE).await?;
    let second_login = op.sign_in(&rp, &OFFLINE).await?;
    let original = first.refresh_token()?;

    let rotated = op.refreshed(&rp, &original).await?;
    let next = rotated.refresh_token().ok_or("no rotated refresh token")?;
    assert_ne!(
        next.secret(),
        original.secret(),
        "the refresh token rotates"
    );
    assert_ne!(
        rotated.access_token().secret(),
        first.tokens.access_token().secret()
    );

    let replay = op.refresh(&rp, &original, &[]).await?;
    invalid_grant(replay, "the rotated-out token presented again");
    let after_reuse = op.refresh(&rp, next, &[]).await?;
    invalid_grant(after_reuse, "the chain's newest token after reuse");
    let inactive = op.introspect(&rp, next.secret()).await?;
    assert!(
        !inactive.active(),
        "the revoked chain's token introspects active"
    );

    let other_chain = op.refresh(&rp, &second_login.refresh_token()?, &[]).await?;
    assert!(
        other_chain.is_ok(),
        "another login's chain died with the reused one: {other_chain:?}"
    );
    Ok(())
}

/// RFC 6749 §6: a refresh may ask for less than was granted (the new access token carries only that),
/// never for more.
async fn refresh_narrows_the_scope_but_never_widens_it(backend: Backend) -> TestResult {
    let deployment = Deployment::provisioned(backend, &provisioning())?;
    let op = Provider::start(&deployment).await?;
    let rp = op.client(APP)?;
    let signed = op.sign_in(&rp, &["email", "offline_access"]).await?;
    let token = signed.refresh_token()?;

    let wider = op
        .refresh(&rp, &token, &["openid", "email", "profile"])
        .await?;
    assert!(
        matches!(wider, Err(CoreErrorResponseType::InvalidScope)),
        "a scope that was not granted: {wider:?}"
    );
    let narrowed = op
        .refresh(&rp, &token, &["openid", "email"])
        .await?
        .map_err(|e| format!("narrowing refused: {e:?}"))?;
    // RFC 6749 §5.1: `scope` may be left out when it is what was asked for.
    let mut granted: Vec<String> = narrowed.scopes().map_or_else(
        || vec!["openid".to_owned(), "email".to_owned()],
        |s| s.iter().map(|s| s.to_string()).collect(),
    );
    granted.sort_unstable();
    assert_eq!(granted, ["email", "openid"]);
    let (_, at) = oidc::jwt_parts(narrowed.access_token().secret())?;
    assert_eq!(at.get("scope"), Some(&Value::from("openid email")));
    let introspected = op.introspect(&rp, narrowed.access_token().secret()).await?;
    let mut scopes: Vec<String> = introspected
        .scopes()
        .map(|s| s.iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    scopes.sort_unstable();
    assert_eq!(scopes, ["email", "openid"]);
    Ok(())
}

/// RFC 6749 §6: a refresh request without `scope` "is treated as equal to the scope originally granted
/// by the resource owner", even after an earlier refresh of the chain asked for less.
async fn refresh_without_scope_gets_the_originally_granted_scope(backend: Backend) -> TestResult {
    let deployment = Deployment::provisioned(backend, &provisioning())?;
    let op = Provider::start(&deployment).await?;
    let rp = op.client(APP)?;
    let signed = op.sign_in(&rp, &["email", "offline_access"]).await?;
    let narrowed = op
        .refresh(&rp, &signed.refresh_token()?, &["openid"])
        .await?
        .map_err(|e| format!("narrowing refused: {e:?}"))?;
    let next = narrowed.refresh_token().ok_or("no rotated refresh token")?;
    let again = op.refreshed(&rp, next).await?;
    let (_, at) = oidc::jwt_parts(again.access_token().secret())?;
    let mut scope: Vec<&str> = at["scope"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .collect();
    scope.sort_unstable();
    assert_eq!(
        scope,
        ["email", "offline_access", "openid"],
        "the original grant's scope"
    );
    Ok(())
}

/// OIDC Core §12.2: the ID token of a refresh is new (`iat`) but tells of the original authentication
/// (`auth_time`), for the same `iss`, `sub`, `aud` and `azp`, without a `nonce`.
async fn refreshed_id_token_keeps_auth_time_with_a_new_iat(backend: Backend) -> TestResult {
    let deployment = Deployment::provisioned(backend, &provisioning())?;
    let op = Provider::start(&deployment).await?;
    let rp = op.client(APP)?;
    let signed = op.sign_in(&rp, &OFFLINE).await?;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let renewed = op.refreshed(&rp, &signed.refresh_token()?).await?;
    let id_token = renewed
        .id_token()
        .ok_or("no id_token from the refresh of an openid grant")?;
    let no_nonce = |nonce: Option<&Nonce>| match nonce {
        None => Ok(()),
        Some(_) => Err("OIDC Core §12.2: a refreshed ID token SHOULD NOT carry a nonce".to_owned()),
    };
    let claims = id_token.claims(&rp.id_token_verifier(), no_nonce)?;
    let first = &signed.claims;
    assert!(claims.issue_time() > first.issue_time(), "iat is renewed");
    assert!(
        first.auth_time().is_some(),
        "auth_time in the first ID token"
    );
    assert_eq!(claims.auth_time(), first.auth_time(), "auth_time");
    assert_eq!(claims.issuer(), first.issuer());
    assert_eq!(claims.subject(), first.subject());
    assert_eq!(claims.audiences(), first.audiences());
    assert_eq!(claims.authorized_party(), first.authorized_party());
    Ok(())
}

/// RFC 7009 §2.1: once the relying party revokes its refresh token, it no longer refreshes.
async fn revoked_refresh_token_no_longer_refreshes(backend: Backend) -> TestResult {
    let deployment = Deployment::provisioned(backend, &provisioning())?;
    let op = Provider::start(&deployment).await?;
    let rp = op.client(APP)?;
    let signed = op.sign_in(&rp, &OFFLINE).await?;
    let token = signed.refresh_token()?;
    op.revoke(&rp, token.clone().into()).await?;
    invalid_grant(
        op.refresh(&rp, &token, &[]).await?,
        "a revoked refresh token",
    );
    assert!(!op.introspect(&rp, token.secret()).await?.active());
    Ok(())
}

/// RFC 7662 §2.2 with RFC 9068 §2.2: a live access token introspects active with its JWT claims; after
/// RFC 7009 revocation it introspects inactive (and nothing else) and userinfo refuses it.
async fn introspection_follows_access_token_revocation(backend: Backend) -> TestResult {
    let deployment = Deployment::provisioned(backend, &provisioning())?;
    let op = Provider::start(&deployment).await?;
    let rp = op.client(APP)?;
    let signed = op.sign_in(&rp, &OFFLINE).await?;
    let access = signed.tokens.access_token();
    let (_, at) = oidc::jwt_parts(access.secret())?;

    let live = op.introspect(&rp, access.secret()).await?;
    assert!(live.active(), "a fresh access token is active");
    let text = |name: &str| at.get(name).and_then(Value::as_str).map(str::to_owned);
    let time = |name: &str| at.get(name).and_then(Value::as_i64);
    assert_eq!(live.iss().map(str::to_owned), text("iss"), "iss");
    assert_eq!(live.sub().map(str::to_owned), text("sub"), "sub");
    assert_eq!(live.jti().map(str::to_owned), text("jti"), "jti");
    assert_eq!(
        live.client_id().map(|c| c.as_str().to_owned()),
        Some(APP.0.to_owned()),
        "client_id"
    );
    let aud = live.aud().ok_or("RFC 9068 §2.2: aud")?;
    assert!(
        text("aud").is_some_and(|a| aud.contains(&a)),
        "aud {aud:?} vs {at:?}"
    );
    assert_eq!(live.exp().map(|t| t.timestamp()), time("exp"), "exp");
    assert_eq!(live.iat().map(|t| t.timestamp()), time("iat"), "iat");
    assert_eq!(
        live.sub().map(str::to_owned),
        Some(signed.claims.subject().to_string()),
        "the access token's sub is the ID token's"
    );
    assert!(live.scopes().is_some(), "scope");

    op.revoke(&rp, access.clone().into()).await?;
    let revoked = op.introspect(&rp, access.secret()).await?;
    assert!(!revoked.active(), "a revoked access token is active");
    assert!(
        revoked.sub().is_none() && revoked.scopes().is_none(),
        "RFC 7662 §2.2: nothing about an inactive token"
    );
    let userinfo = op
        .http
        .get(
            op.metadata
                .userinfo_endpoint()
                .ok_or("no userinfo")?
                .as_str(),
        )
        .bearer_auth(access.secret())
        .send()
        .await?;
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED, "userinfo");
    Ok(())
}

/// RFC 7662 §2.3 and RFC 6749 §5.2: a caller whose credentials fail gets 401 `invalid_client`, with a
/// `WWW-Authenticate` challenge since it used Basic, and learns nothing about the token.
async fn introspection_with_a_wrong_secret_is_unauthorized(backend: Backend) -> TestResult {
    let deployment = Deployment::provisioned(backend, &provisioning())?;
    let op = Provider::start(&deployment).await?;
    let rp = op.client(APP)?;
    let signed = op.sign_in(&rp, &OFFLINE).await?;
    let access = signed.tokens.access_token();

    let impostor = op.client((APP.0, "not the secret"))?;
    let refused = impostor
        .introspect(access)
        .request_async(&op.http)
        .await
        .err()
        .ok_or("introspection answered a caller with a wrong secret")?;
    match refused {
        RequestTokenError::ServerResponse(e) => {
            assert_eq!(e.error(), &CoreErrorResponseType::InvalidClient)
        }
        other => panic!("expected invalid_client, got {other:?}"),
    }
    let response = op
        .http
        .post(op.introspection.as_str())
        .basic_auth(APP.0, Some("not the secret"))
        .form(&[("token", access.secret().as_str())])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.headers().contains_key("www-authenticate"),
        "RFC 6749 §5.2: WWW-Authenticate after a failed Basic authentication"
    );
    let body: Value = response.json().await?;
    assert_eq!(body["error"], "invalid_client", "{body}");
    assert!(body.get("active").is_none(), "{body}");
    Ok(())
}

/// RFC 6749 §6 and §10.4: a refresh token is bound to its client. Another client presenting it gets
/// `invalid_grant`, and nothing happens to it: no rotation, no reuse detection.
async fn refresh_token_of_another_client_is_refused_without_side_effect(
    backend: Backend,
) -> TestResult {
    let deployment = Deployment::provisioned(backend, &provisioning())?;
    let op = Provider::start(&deployment).await?;
    let (owner, thief) = (op.client(APP)?, op.client(OTHER)?);
    let signed = op.sign_in(&owner, &OFFLINE).await?;
    let token = signed.refresh_token()?;
    let stolen = op.refresh(&thief, &token, &[]).await?;
    invalid_grant(stolen, "another client's refresh token");
    assert!(
        op.introspect(&owner, token.secret()).await?.active(),
        "the owner's refresh token is no longer active"
    );
    op.refreshed(&owner, &token).await?;
    Ok(())
}

/// One test per backend for each rule: `RULE::on_sqlite` and `RULE::on_postgres`.
macro_rules! on_both_backends {
    ($($rule:ident),* $(,)?) => {$(
        mod $rule {
            use super::{Backend, TestResult};

            #[tokio::test]
            async fn on_sqlite() -> TestResult {
                super::$rule(Backend::Sqlite).await
            }

            #[tokio::test]
            async fn on_postgres() -> TestResult {
                super::$rule(Backend::Postgres).await
            }
        }
    )*};
}

on_both_backends!(
    refresh_rotates_and_reuse_revokes_only_that_chain,
    refresh_narrows_the_scope_but_never_widens_it,
    refresh_without_scope_gets_the_originally_granted_scope,
    refreshed_id_token_keeps_auth_time_with_a_new_iat,
    revoked_refresh_token_no_longer_refreshes,
    introspection_follows_access_token_revocation,
    introspection_with_a_wrong_secret_is_unauthorized,
    refresh_token_of_another_client_is_refused_without_side_effect,
);
