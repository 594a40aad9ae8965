//! `oidcc-basic-certification-test-plan` (CONFORMANCE.md §1.2), re-enacted against the `valet` binary:
//! one test per module of the plan, named after it, with `response_type=code`, the default response
//! mode, static clients (`client` with client_secret_basic, `client_secret_post`) and discovery. A
//! module the suite would SKIP is asserted to be skipped for the reason the suite gives; a WARNING
//! fails here, as it does in node-oidc-provider's certification runner.
//!
//! Each test starts its own `valet` and browser, as each module has a fresh cookie jar. SQLite only,
//! except the happy flow, which also runs on PostgreSQL.

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::browser::Browser;
use support::conformance::op::{Op, Tokens};
use support::conformance::{
    self, AuthRequest, CLIENT, CLIENT_POST, CLIENT2, REDIRECT_URI, SuiteClient, checks,
};
use support::oidc::{self, Shown};
use support::{Backend, Deployment, TestResult};

/// The user-interface errors `CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface`
/// accepts after `prompt=none`.
const UI_REQUIRED: [&str; 4] = [
    "login_required",
    "interaction_required",
    "account_selection_required",
    "consent_required",
];

/// The claims an ID token for `scope=openid` may hold (`EnsureIdTokenDoesNotContainNonRequestedClaims`).
const ID_TOKEN_CLAIMS_FOR_OPENID: [&str; 18] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
    "nbf",
    "jti",
    "sid",
    "s_hash",
    "openbanking_intent_id",
    "txn",
];

fn deployment(backend: Backend) -> TestResult<Deployment> {
    Deployment::provisioned(backend, &conformance::provisioning())
}

/// The `state` (and `nonce`) of the prompt-none modules: `alnum(124) + "-._~"` (`CreateRandomStateValue`).
fn long_value() -> String {
    format!("{}-._~", oidc::random_alnum(124))
}

/// The first, interactive authorization of the "same auth twice" modules.
async fn first_login(
    op: &Op<'_>,
    browser: &mut Browser,
    request: AuthRequest,
) -> TestResult<Tokens> {
    let (journey, tokens) = op.code_flow(browser, &CLIENT, &request).await?;
    assert_eq!(journey.shown, [Shown::Login, Shown::Consent]);
    Ok(tokens)
}

fn claim<'t>(tokens: &'t Tokens, name: &str) -> Option<&'t Value> {
    tokens.id_claims.get(name)
}

async fn oidcc_server(backend: Backend) -> TestResult {
    let deployment = deployment(backend)?;
    let op = Op::new(deployment.start().await?).await?;
    let mut browser = Browser::new();
    let request = AuthRequest::new(&CLIENT);
    // Code length and entropy are checked in `code_from`, the ID token's kid and RS256
    // (oidcc-idtoken-signature's checks) in `check_id_token`.
    let journey = op.authorize(&mut browser, &request).await?;
    assert_eq!(journey.shown, [Shown::Login, Shown::Consent]);
    let code = op.code_from(&journey, &request)?;
    let tokens = op.exchange(&CLIENT, &code, &request, None).await?;
    // The token endpoint's at_hash and c_hash are optional, but must validate when present.
    let alg = tokens.id_header["alg"].as_str().unwrap_or_default();
    for (name, value) in [("at_hash", &tokens.access_token), ("c_hash", &code)] {
        if let Some(hash) = claim(&tokens, name) {
            let expected = oidc::left_half_hash(alg, value)?;
            assert_eq!(hash.as_str(), Some(expected.as_str()), "{name}");
        }
    }
    let extra: Vec<&String> = tokens
        .id_claims
        .keys()
        .filter(|k| !ID_TOKEN_CLAIMS_FOR_OPENID.contains(&k.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "EnsureIdTokenDoesNotContainNonRequestedClaims: {extra:?}"
    );
    op.userinfo_get(&tokens).await?;
    Ok(())
}

#[tokio::test]
async fn oidcc_server_on_sqlite() -> TestResult {
    oidcc_server(Backend::Sqlite).await
}

#[tokio::test]
async fn oidcc_server_on_postgres() -> TestResult {
    oidcc_server(Backend::Postgres).await
}

#[tokio::test]
async fn oidcc_response_type_missing() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let request = AuthRequest::new(&CLIENT).without("response_type");
    let journey = op.authorize(&mut Browser::new(), &request).await?;
    assert!(
        journey.shown.is_empty(),
        "nothing to show for an invalid request"
    );
    let callback = oidc::query_callback(&journey.end, REDIRECT_URI)?;
    let error = op.check_error_callback(&callback, &request)?;
    assert!(
        ["invalid_request", "unsupported_response_type"].contains(&error.as_str()),
        "{error}"
    );
    Ok(())
}

/// oidcc-idtoken-unsigned: SKIPPED, because `none` is not an ID token algorithm Valet offers.
#[tokio::test]
async fn oidcc_idtoken_unsigned() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let algs = op.supported("id_token_signing_alg_values_supported");
    assert!(
        algs.contains(&"RS256") && !algs.contains(&"none"),
        "{algs:?}"
    );
    Ok(())
}

#[tokio::test]
async fn oidcc_userinfo_get() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let (_, tokens) = op
        .code_flow(&mut Browser::new(), &CLIENT, &AuthRequest::new(&CLIENT))
        .await?;
    op.userinfo_get(&tokens).await?;
    Ok(())
}

#[tokio::test]
async fn oidcc_userinfo_post_header() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let (_, tokens) = op
        .code_flow(&mut Browser::new(), &CLIENT, &AuthRequest::new(&CLIENT))
        .await?;
    let response = reqwest::Client::new()
        .post(op.endpoint("userinfo_endpoint")?)
        .header(reqwest::header::ACCEPT, "application/json")
        .header(
            reqwest::header::AUTHORIZATION,
            format!("{} {}", tokens.token_type, tokens.access_token),
        )
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body("")
        .send()
        .await?;
    op.check_userinfo(response, &tokens).await?;
    Ok(())
}

/// A non-2xx answer would be the WARNING `UserInfoEndpointWithAccessTokenInBodyNotSupported`.
#[tokio::test]
async fn oidcc_userinfo_post_body() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let (_, tokens) = op
        .code_flow(&mut Browser::new(), &CLIENT, &AuthRequest::new(&CLIENT))
        .await?;
    let response = reqwest::Client::new()
        .post(op.endpoint("userinfo_endpoint")?)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[("access_token", tokens.access_token.as_str())])
        .send()
        .await?;
    op.check_userinfo(response, &tokens).await?;
    Ok(())
}

#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let request = AuthRequest::new(&CLIENT).without("nonce");
    // The suite stops after the callback; redeeming the code also proves no nonce is invented
    // (`ValidateIdTokenNonce`, run by `exchange` with no nonce expected).
    let (_, tokens) = op.code_flow(&mut Browser::new(), &CLIENT, &request).await?;
    assert!(claim(&tokens, "nonce").is_none());
    Ok(())
}

/// `AbstractOIDCCReturnedClaimsServerTest`: SKIPPED unless `scopes_supported` lists every scope asked
/// for; then userinfo must hold every standard claim of each (`VerifyScopesReturnedInUserInfoClaims`).
/// Beyond the suite: no claim of a scope that was not asked for.
async fn returned_claims(
    scope: &str,
    reversed: bool,
) -> TestResult<(Tokens, serde_json::Map<String, Value>)> {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let supported = op.supported("scopes_supported");
    for word in scope.split(' ') {
        assert!(
            supported.contains(&word),
            "the module would be SKIPPED: {word} not in {supported:?}"
        );
    }
    let request = AuthRequest::new(&CLIENT).set("scope", scope);
    let mut browser = Browser::new();
    let journey = if reversed {
        op.authorize_query(&mut browser, &request.query_reversed())
            .await?
    } else {
        op.authorize(&mut browser, &request).await?
    };
    let code = op.code_from(&journey, &request)?;
    let tokens = op.exchange(&CLIENT, &code, &request, None).await?;
    let userinfo = op.userinfo_get(&tokens).await?;
    for group in ["profile", "email", "address", "phone"] {
        let requested = scope.split(' ').any(|w| w == group);
        for name in oidc::scope_claims(group) {
            assert_eq!(
                userinfo.contains_key(*name),
                requested,
                "scope `{scope}`: userinfo {} {name}: {userinfo:?}",
                if requested { "lacks" } else { "has" }
            );
        }
    }
    Ok((tokens, userinfo))
}

#[tokio::test]
async fn oidcc_scope_profile() -> TestResult {
    returned_claims("openid profile", false).await.map(drop)
}

/// Also `EnsureIdTokenDoesNotContainEmailForScopeEmail` (an access token exists, so the email goes to
/// userinfo) and no `name` in userinfo.
#[tokio::test]
async fn oidcc_scope_email() -> TestResult {
    let (tokens, userinfo) = returned_claims("openid email", false).await?;
    assert!(claim(&tokens, "email").is_none(), "email in the ID token");
    assert!(!userinfo.contains_key("name"));
    Ok(())
}

#[tokio::test]
async fn oidcc_scope_address() -> TestResult {
    returned_claims("openid address", false).await.map(drop)
}

#[tokio::test]
async fn oidcc_scope_phone() -> TestResult {
    returned_claims("openid phone", false).await.map(drop)
}

#[tokio::test]
async fn oidcc_scope_all() -> TestResult {
    returned_claims("openid email phone address profile", false)
        .await
        .map(drop)
}

/// Extends oidcc-scope-email: scope `email openid` and the parameters in reverse alphabetical order.
#[tokio::test]
async fn oidcc_alternate_happy_flow() -> TestResult {
    let (tokens, userinfo) = returned_claims("email openid", true).await?;
    assert!(claim(&tokens, "email").is_none(), "email in the ID token");
    assert!(!userinfo.contains_key("name"));
    Ok(())
}

/// A plain successful flow for a request with `extra` parameters.
async fn succeeds_with(extra: &[(&str, &str)]) -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let mut request = AuthRequest::new(&CLIENT);
    for (name, value) in extra {
        request = request.set(name, value);
    }
    let (_, tokens) = op.code_flow(&mut Browser::new(), &CLIENT, &request).await?;
    op.userinfo_get(&tokens).await?;
    Ok(())
}

#[tokio::test]
async fn oidcc_display_page() -> TestResult {
    succeeds_with(&[("display", "page")]).await
}

#[tokio::test]
async fn oidcc_display_popup() -> TestResult {
    succeeds_with(&[("display", "popup")]).await
}

/// RFC 6749 §3.1: unknown parameters are ignored.
#[tokio::test]
async fn oidcc_ensure_request_with_unknown_parameter_succeeds() -> TestResult {
    succeeds_with(&[("extra", "foobar")]).await
}

/// The suite's default `login_hint`, `buffy@<issuer host>`, names nobody here: it must not error.
#[tokio::test]
async fn oidcc_login_hint() -> TestResult {
    succeeds_with(&[("login_hint", "buffy@127.0.0.1")]).await
}

#[tokio::test]
async fn oidcc_ui_locales() -> TestResult {
    succeeds_with(&[("ui_locales", "se")]).await
}

#[tokio::test]
async fn oidcc_claims_locales() -> TestResult {
    succeeds_with(&[("claims_locales", "se")]).await
}

/// `acr_values` is every advertised value; `ValidateIdTokenACRClaimAgainstAcrValuesRequest` WARNs
/// unless the ID token's `acr` is one of them.
#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let advertised = op.supported("acr_values_supported");
    let acr_values = if advertised.is_empty() {
        "1 2".to_owned()
    } else {
        advertised.join(" ")
    };
    let request = AuthRequest::new(&CLIENT).set("acr_values", &acr_values);
    let (_, tokens) = op.code_flow(&mut Browser::new(), &CLIENT, &request).await?;
    let acr = claim(&tokens, "acr")
        .and_then(Value::as_str)
        .ok_or("no acr in the ID token")?;
    assert!(
        acr_values.split(' ').any(|v| v == acr),
        "acr {acr} not in {acr_values}"
    );
    Ok(())
}

/// `ExpectSecondLoginPage` and `CheckSecondIdTokenAuthTimeIsLaterIfPresent`.
#[tokio::test]
async fn oidcc_prompt_login() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let mut browser = Browser::new();
    let first = first_login(&op, &mut browser, AuthRequest::new(&CLIENT)).await?;
    // auth_time counts whole seconds: more than one second apart, the second login is strictly later.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let request = AuthRequest::new(&CLIENT).set("prompt", "login");
    let (journey, second) = op.code_flow(&mut browser, &CLIENT, &request).await?;
    assert_eq!(
        journey.shown,
        [Shown::Login],
        "the login page is shown again"
    );
    let (t1, t2) = (
        oidc::int(&first.id_claims, "auth_time")?,
        oidc::int(&second.id_claims, "auth_time")?,
    );
    assert!(t2 > t1, "auth_time {t2} is not later than {t1}");
    assert_eq!(claim(&first, "sub"), claim(&second, "sub"));
    Ok(())
}

/// Must redirect (an error page FAILS here) with an error asking for a user interface, the 128-character
/// state back byte for byte.
#[tokio::test]
async fn oidcc_prompt_none_not_logged_in() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let request = AuthRequest::new(&CLIENT)
        .set("prompt", "none")
        .set("state", &long_value())
        .set("nonce", &long_value());
    let journey = op.authorize(&mut Browser::new(), &request).await?;
    assert!(
        journey.shown.is_empty(),
        "prompt=none showed {:?}",
        journey.shown
    );
    let callback = oidc::query_callback(&journey.end, REDIRECT_URI)?;
    let error = op.check_error_callback(&callback, &request)?;
    assert!(UI_REQUIRED.contains(&error.as_str()), "{error}");
    assert_eq!(callback.get("state").map(String::len), Some(128));
    Ok(())
}

/// `CheckIdTokenAuthTimeClaimsSameIfPresent` and `CheckIdTokenSubConsistentForSecondAuthorization`.
#[tokio::test]
async fn oidcc_prompt_none_logged_in() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let mut browser = Browser::new();
    let first = first_login(&op, &mut browser, AuthRequest::new(&CLIENT)).await?;
    let request = AuthRequest::new(&CLIENT).set("prompt", "none");
    let (journey, second) = op.code_flow(&mut browser, &CLIENT, &request).await?;
    assert!(
        journey.shown.is_empty(),
        "prompt=none showed {:?}",
        journey.shown
    );
    assert_eq!(claim(&first, "auth_time"), claim(&second, "auth_time"));
    assert_eq!(claim(&first, "sub"), claim(&second, "sub"));
    Ok(())
}

/// Re-authentication after 2 s with `max_age=1`; the second ID token must carry `auth_time`
/// (`CheckIdTokenAuthTimeClaimPresentDueToMaxAge`), later and recent
/// (`CheckIdTokenAuthTimeIsRecentIfPresent`).
#[tokio::test]
async fn oidcc_max_age_1() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let mut browser = Browser::new();
    let first = first_login(&op, &mut browser, AuthRequest::new(&CLIENT)).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let request = AuthRequest::new(&CLIENT).set("max_age", "1");
    let (journey, second) = op.code_flow(&mut browser, &CLIENT, &request).await?;
    assert_eq!(
        journey.shown,
        [Shown::Login],
        "max_age=1 must ask for the login again"
    );
    let t2 = oidc::int(&second.id_claims, "auth_time")?;
    if claim(&first, "auth_time").is_some() {
        assert!(
            t2 > oidc::int(&first.id_claims, "auth_time")?,
            "auth_time is not later"
        );
    }
    assert!(t2 >= oidc::now_secs() - 301, "auth_time {t2} is not recent");
    Ok(())
}

/// `auth_time` required in both ID tokens (a max_age was requested), equal, with the same `sub`, and
/// the second authorization silent.
#[tokio::test]
async fn oidcc_max_age_10000() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let mut browser = Browser::new();
    let first = first_login(
        &op,
        &mut browser,
        AuthRequest::new(&CLIENT).set("max_age", "15000"),
    )
    .await?;
    let request = AuthRequest::new(&CLIENT).set("max_age", "10000");
    let (journey, second) = op.code_flow(&mut browser, &CLIENT, &request).await?;
    assert!(journey.shown.is_empty(), "showed {:?}", journey.shown);
    let t1 = oidc::int(&first.id_claims, "auth_time")?;
    assert_eq!(t1, oidc::int(&second.id_claims, "auth_time")?);
    assert_eq!(claim(&first, "sub"), claim(&second, "sub"));
    Ok(())
}

/// The second request: `prompt=none` and the first (token-endpoint) ID token as `id_token_hint`.
#[tokio::test]
async fn oidcc_id_token_hint() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let mut browser = Browser::new();
    let first = first_login(&op, &mut browser, AuthRequest::new(&CLIENT)).await?;
    let request = AuthRequest::new(&CLIENT)
        .set("prompt", "none")
        .set("id_token_hint", &first.id_token);
    let (journey, second) = op.code_flow(&mut browser, &CLIENT, &request).await?;
    assert!(journey.shown.is_empty(), "showed {:?}", journey.shown);
    assert_eq!(claim(&first, "sub"), claim(&second, "sub"));
    assert_eq!(claim(&first, "auth_time"), claim(&second, "auth_time"));
    Ok(())
}

/// A refused grant (a reused code, another client's refresh token): `CheckTokenEndpointHttpStatus400`,
/// JSON, `invalid_grant`, and the character sets of the error members.
fn check_invalid_grant(answer: &oidc::TokenAnswer) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.json);
    assert_eq!(checks::media_type(&answer.content_type), "application/json");
    assert_eq!(answer.json["error"], "invalid_grant", "{}", answer.json);
    checks::check_error_fields(
        answer.json["error"].as_str(),
        answer.json["error_description"].as_str(),
        answer.json["error_uri"].as_str(),
    );
}

async fn reuse_code(wait: Duration) -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let request = AuthRequest::new(&CLIENT);
    let journey = op.authorize(&mut Browser::new(), &request).await?;
    let code = op.code_from(&journey, &request)?;
    let tokens = op.exchange(&CLIENT, &code, &request, None).await?;
    tokio::time::sleep(wait).await;
    // A 200 here would be the WARNING `ServerAllowedReusingAuthorizationCode`.
    let again = oidc::redeem_code(
        op.endpoint("token_endpoint")?,
        CLIENT.auth(),
        &code,
        REDIRECT_URI,
        None,
    )
    .await?;
    check_invalid_grant(&again);
    if wait > Duration::ZERO {
        // RFC 6749 §4.1.2: tokens issued from a reused code SHOULD be revoked; a non-4xx is a WARNING.
        let response = reqwest::Client::new()
            .get(op.endpoint("userinfo_endpoint")?)
            .bearer_auth(&tokens.access_token)
            .send()
            .await?;
        assert!(
            response.status().is_client_error(),
            "userinfo still answers {} with the first access token",
            response.status()
        );
    }
    Ok(())
}

#[tokio::test]
async fn oidcc_codereuse() -> TestResult {
    reuse_code(Duration::ZERO).await
}

/// The suite waits 30 s before the reuse; 2 s here keeps the suite fast, the rules are the same.
#[tokio::test]
async fn oidcc_codereuse_30seconds() -> TestResult {
    reuse_code(Duration::from_secs(2)).await
}

/// `redirect_uri = <registered>/<10 random alnum>`: an error page, and no redirect to either URI.
#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let bad = format!("{REDIRECT_URI}/{}", oidc::random_alnum(10));
    let request = AuthRequest::new(&CLIENT).set("redirect_uri", &bad);
    let page = Browser::new().get(&op.authorize_url(&request)?).await?;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.location.is_none(), "redirected to {:?}", page.location);
    assert_eq!(checks::media_type(page.content_type()), "text/html");
    assert!(
        page.forms().is_empty(),
        "the error page must not post anywhere: {}",
        page.body
    );
    assert!(
        !page.body.contains(REDIRECT_URI),
        "the page links to the client: {}",
        page.body
    );
    Ok(())
}

/// OIDC Core §3.1.2.1: the authorization endpoint accepts a form POST.
#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let request = AuthRequest::new(&CLIENT);
    let mut browser = Browser::new();
    let first = browser
        .post(op.endpoint("authorization_endpoint")?, &request.pairs())
        .await?;
    let journey = oidc::follow(&mut browser, &op.issuer, first).await?;
    assert_eq!(journey.shown, [Shown::Login, Shown::Consent]);
    let code = op.code_from(&journey, &request)?;
    op.exchange(&CLIENT, &code, &request, None).await?;
    Ok(())
}

#[tokio::test]
async fn oidcc_server_client_secret_post() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let client: &SuiteClient = &CLIENT_POST;
    let (_, tokens) = op
        .code_flow(&mut Browser::new(), client, &AuthRequest::new(client))
        .await?;
    op.userinfo_get(&tokens).await?;
    Ok(())
}

/// An unsigned (`alg: none`) request object carrying `state` and `nonce`, as the suite builds it.
fn unsigned_request_object(request: &AuthRequest) -> TestResult<String> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims: serde_json::Map<String, Value> = request
        .pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect();
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?);
    Ok(format!("{header}.{payload}."))
}

/// The URL of the request-object modules: `state` and `nonce` travel only inside the object.
fn without_state_and_nonce(request: &AuthRequest) -> AuthRequest {
    request.clone().without("state").without("nonce")
}

/// SKIPPED-equivalent: `error=request_uri_not_supported`, and discovery says so. (A dynamic-client
/// module; the rule holds for any client.)
#[tokio::test]
async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    assert_eq!(
        op.metadata.get("request_uri_parameter_supported"),
        Some(&Value::Bool(false))
    );
    let full = AuthRequest::new(&CLIENT);
    let object = unsigned_request_object(&full)?;
    let request_uri = format!(
        "https://rp.example.test/test/a/valet/requesturi/{}#{}",
        oidc::random_alnum(64),
        oidc::left_half_hash("RS256", &object)?
    );
    let request = without_state_and_nonce(&full).set("request_uri", &request_uri);
    let journey = op.authorize(&mut Browser::new(), &request).await?;
    assert!(journey.shown.is_empty());
    let callback = oidc::query_callback(&journey.end, REDIRECT_URI)?;
    let error = op.check_error_callback(&callback, &request)?;
    assert_eq!(error, "request_uri_not_supported");
    Ok(())
}

/// SKIPPED-equivalent: `error=request_not_supported`; ignoring the object (and so its state) would FAIL.
#[tokio::test]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() -> TestResult
{
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    assert_eq!(
        op.metadata.get("request_parameter_supported"),
        Some(&Value::Bool(false))
    );
    let full = AuthRequest::new(&CLIENT);
    let request = without_state_and_nonce(&full).set("request", &unsigned_request_object(&full)?);
    let journey = op.authorize(&mut Browser::new(), &request).await?;
    assert!(journey.shown.is_empty());
    let callback = oidc::query_callback(&journey.end, REDIRECT_URI)?;
    let error = op.check_error_callback(&callback, &request)?;
    assert_eq!(error, "request_not_supported");
    Ok(())
}

/// `name` requested as an essential userinfo claim with `scope=openid`: in userinfo, not in the ID token.
#[tokio::test]
async fn oidcc_claims_essential() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let claims = json!({"userinfo": {"name": {"essential": true}}}).to_string();
    let request = AuthRequest::new(&CLIENT).set("claims", &claims);
    let (_, tokens) = op.code_flow(&mut Browser::new(), &CLIENT, &request).await?;
    let userinfo = op.userinfo_get(&tokens).await?;
    assert_eq!(userinfo.get("name"), Some(&Value::from("Alice Liddell")));
    assert!(claim(&tokens, "name").is_none(), "name in the ID token");
    Ok(())
}

/// The authorization of oidcc-refresh-token for one client: `offline_access` when advertised, and
/// `prompt=consent`.
async fn offline_tokens(op: &Op<'_>, client: &SuiteClient) -> TestResult<(AuthRequest, Tokens)> {
    let scope = if op.supported("scopes_supported").contains(&"offline_access") {
        "openid offline_access"
    } else {
        "openid"
    };
    let request = AuthRequest::new(client)
        .set("scope", scope)
        .set("prompt", "consent");
    let (journey, tokens) = op.code_flow(&mut Browser::new(), client, &request).await?;
    assert!(
        journey.shown.contains(&Shown::Consent),
        "prompt=consent showed {:?}",
        journey.shown
    );
    Ok((request, tokens))
}

/// CONFORMANCE.md §2.6. SKIPPED when no refresh token is issued; `grant_types_supported` must list
/// `refresh_token` exactly when one is (a WARNING either way).
#[tokio::test]
async fn oidcc_refresh_token() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let grants = op.supported("grant_types_supported");
    let advertised = grants.contains(&"refresh_token");
    let (request, tokens) = offline_tokens(&op, &CLIENT).await?;
    let Some(refresh_token) = tokens.answer.json["refresh_token"].as_str() else {
        assert!(
            !advertised,
            "EnsureServerConfigurationDoesNotSupportRefreshToken: none issued, yet {grants:?}"
        );
        return Ok(());
    };
    assert!(
        advertised,
        "EnsureServerConfigurationSupportsRefreshToken: one was issued, but {grants:?}"
    );
    assert!(
        refresh_token.bytes().all(|b| (0x20..=0x7e).contains(&b)),
        "EnsureRefreshTokenContainsAllowedCharactersOnly"
    );
    // The new ID token's iat must differ from the first one's.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let token_endpoint = op.endpoint("token_endpoint")?;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("scope", request.get("scope").unwrap_or("openid")),
    ];
    let answer = oidc::token_request(token_endpoint, CLIENT.auth(), &form).await?;
    op.check_token_success(&answer)?;
    if let Some(rotated) = answer.json["refresh_token"].as_str() {
        assert!(
            rotated.len() >= 16,
            "a new refresh token of {} bytes",
            rotated.len()
        );
        checks::check_code_strength(rotated);
    }
    if let Some(id_token) = answer.json["id_token"].as_str() {
        // CompareIdTokenClaims (OIDC Core §12.2).
        let (_, renewed) = op.verify_signature(id_token)?;
        let first = &tokens.id_claims;
        for same in ["iss", "sub", "aud"] {
            assert_eq!(
                renewed.get(same),
                first.get(same),
                "CompareIdTokenClaims: {same}"
            );
        }
        assert_ne!(
            renewed.get("iat"),
            first.get("iat"),
            "CompareIdTokenClaims: iat"
        );
        if renewed.contains_key("auth_time") {
            assert_eq!(renewed.get("auth_time"), first.get("auth_time"));
        }
        if renewed.contains_key("azp") {
            assert_eq!(renewed.get("azp"), first.get("azp"));
        }
    }
    let renewed = Tokens {
        access_token: answer.str("access_token")?.to_owned(),
        token_type: answer.str("token_type")?.to_owned(),
        answer,
        ..tokens
    };
    op.userinfo_get(&renewed).await?;
    // client2's refresh token presented with client 1's credentials.
    let (_, second) = offline_tokens(&op, &CLIENT2).await?;
    let foreign = second.answer.str("refresh_token")?;
    let form = [("grant_type", "refresh_token"), ("refresh_token", foreign)];
    let answer = oidc::token_request(token_endpoint, CLIENT.auth(), &form).await?;
    check_invalid_grant(&answer);
    Ok(())
}

#[tokio::test]
async fn oidcc_ensure_request_with_valid_pkce_succeeds() -> TestResult {
    let deployment = deployment(Backend::Sqlite)?;
    let op = Op::new(deployment.start().await?).await?;
    let (verifier, challenge) = oidc::pkce_pair();
    let request = AuthRequest::new(&CLIENT)
        .set("code_challenge", &challenge)
        .set("code_challenge_method", "S256");
    let journey = op.authorize(&mut Browser::new(), &request).await?;
    let code = op.code_from(&journey, &request)?;
    let tokens = op
        .exchange(&CLIENT, &code, &request, Some(&verifier))
        .await?;
    op.userinfo_get(&tokens).await?;
    Ok(())
}
