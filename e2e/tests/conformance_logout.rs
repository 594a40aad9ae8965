//! `oidcc-rp-initiated-logout-certification-test-plan` (CONFORMANCE.md §1.8, §2.9) re-enacted against the
//! `valet` binary, one test per module, named after it, with the suite's static client
//! (client_secret_basic, `response_type=code`) whose post_logout_redirect_uri is on a receiver on
//! 127.0.0.1 that plays the suite's RP host. Where the suite accepts either an error page or a
//! confirmation page (REVIEW), the test expects what the logout contract chose; a WARNING fails here,
//! as in node's runner. The discovery module's https checks are replaced, as in `conformance_config`,
//! by "below the issuer" (these deployments are http on loopback). SQLite. Last, the contract's rules
//! that the plan does not reach.

mod support;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jws::{self, JwsHeader};
use josekit::jwt::{self, JwtPayload};
use serde_json::{Value, json};
use support::backchannel::Receiver;
use support::browser::Browser;
use support::conformance::CLIENT;
use support::conformance::logout::checks::{
    check_error_page, check_signed_out, check_still_logged_in, click, confirm, confirmation_form,
    follow_post_logout_redirect,
};
use support::conformance::logout::{
    self, Channels, EndSession, LoggedIn, POST_LOGOUT_REDIRECT, discovery_module, id_claim,
};
use support::{Backend, Deployment, TestResult};

const NOT_REGISTERED: &str = "post_logout_redirect_uri not registered";
const BAD_HINT: &str = "could not validate id_token_hint";

#[tokio::test]
async fn oidcc_rp_initiated_logout_discovery_endpoint_verification() -> TestResult {
    discovery_module(&[]).await
}

/// The receiver and a deployment of the RP-initiated plan (no logout notifications registered).
async fn plain() -> TestResult<(Receiver, Deployment)> {
    let rp = Receiver::start().await?;
    let deployment = logout::deployment(Backend::Sqlite, &rp, Channels::default())?;
    Ok((rp, deployment))
}

#[tokio::test]
async fn oidcc_rp_initiated_logout() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let page = m.end_session(&m.request(&rp)).await?;
    follow_post_logout_redirect(&mut m.browser, &page, &rp, Some(&m.state)).await?;
    m.check_logged_out().await
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let bad = rp.url("/bad_post_logout_redirect_uri");
    let page = m
        .end_session(&m.request(&rp).set("post_logout_redirect_uri", &bad))
        .await?;
    check_error_page(&page, NOT_REGISTERED, &rp);
    Ok(())
}

/// The hint's header becomes `{"alg":"none"}` and its signature is dropped.
#[tokio::test]
async fn oidcc_rp_initiated_logout_modified_id_token_hint() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let payload = m.tokens.id_token.split('.').nth(1).unwrap_or_default();
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string());
    let unsigned = format!("{header}.{payload}.");
    let page = m
        .end_session(&m.request(&rp).set("id_token_hint", &unsigned))
        .await?;
    check_error_page(&page, BAD_HINT, &rp);
    Ok(())
}

/// The contract: a post_logout_redirect_uri with neither hint nor client_id cannot be checked.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let page = m
        .end_session(&m.request(&rp).without("id_token_hint"))
        .await?;
    check_error_page(&page, NOT_REGISTERED, &rp);
    Ok(())
}

/// The suite: the OP logs the user out and shows a logged-out page. The contract: without a hint
/// the end-user confirms first.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_params() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let page = m.end_session(&EndSession::empty()).await?;
    let done = confirm(&mut m.browser, &page, &m.op.issuer).await?;
    check_signed_out(&done);
    assert!(
        rp.requests().is_empty(),
        "the RP was called: {:?}",
        rp.requests()
    );
    m.check_logged_out().await
}

/// A valid hint for the session's user: the session ends at once; nowhere to go, so signed out.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let request = m.request(&rp).without("post_logout_redirect_uri");
    let page = m.end_session(&request).await?;
    check_signed_out(&page);
    assert!(
        rp.requests().is_empty(),
        "the RP was called: {:?}",
        rp.requests()
    );
    m.check_logged_out().await
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_state() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let page = m.end_session(&m.request(&rp).without("state")).await?;
    follow_post_logout_redirect(&mut m.browser, &page, &rp, None).await?;
    m.check_logged_out().await
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_only_state() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let request = m
        .request(&rp)
        .without("id_token_hint")
        .without("post_logout_redirect_uri");
    let page = m.end_session(&request).await?;
    let done = confirm(&mut m.browser, &page, &m.op.issuer).await?;
    check_signed_out(&done);
    assert!(
        rp.requests().is_empty(),
        "the RP was called: {:?}",
        rp.requests()
    );
    m.check_logged_out().await
}

/// Exact matching (RP-Initiated Logout §3): `?foo=bar` makes the URI unregistered.
#[tokio::test]
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let with_query = format!("{}?foo=bar", rp.url(POST_LOGOUT_REDIRECT));
    let page = m
        .end_session(&m.request(&rp).set("post_logout_redirect_uri", &with_query))
        .await?;
    check_error_page(&page, NOT_REGISTERED, &rp);
    Ok(())
}

/// `GenerateFakeIdTokenClaims`, signed by a key of the client's, not Valet's.
fn foreign_id_token(issuer: &str, sub: &str) -> TestResult<String> {
    let pair = jws::RS256.generate_key_pair(2048)?;
    let kid = support::oidc::random_alnum(16);
    let mut private = pair.to_jwk_private_key();
    private.set_key_id(&kid);
    let signer = jws::RS256.signer_from_jwk(&private)?;
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id(&kid);
    let mut payload = JwtPayload::new();
    payload.set_issuer(CLIENT.id);
    payload.set_subject(sub);
    payload.set_claim("aud", Some(Value::from(issuer)))?;
    payload.set_claim("nonce", Some(Value::from("flibble")))?;
    let now = std::time::SystemTime::now();
    payload.set_issued_at(&now);
    payload.set_expires_at(&(now + Duration::from_secs(300)));
    Ok(jwt::encode_with_signer(&payload, &header, &signer)?)
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_id_token_hint() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let forged = foreign_id_token(&m.op.issuer, &id_claim(&m.tokens, "sub")?)?;
    let page = m
        .end_session(&m.request(&rp).set("id_token_hint", &forged))
        .await?;
    check_error_page(&page, BAD_HINT, &rp);
    Ok(())
}

// Beyond the plan: the contract's other rules.

/// RP-Initiated Logout §2: the end-session endpoint also takes a form POST.
#[tokio::test]
async fn end_session_by_post_is_supported() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let form = [
        ("id_token_hint", m.tokens.id_token.clone()),
        ("post_logout_redirect_uri", rp.url(POST_LOGOUT_REDIRECT)),
        ("state", m.state.clone()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let endpoint = m.op.endpoint("end_session_endpoint")?.to_owned();
    let page = m.browser.post(&endpoint, &form).await?;
    follow_post_logout_redirect(&mut m.browser, &page, &rp, Some(&m.state)).await?;
    m.check_logged_out().await
}

/// The contract: with no session at all there is nothing to end, and a valid request still redirects.
#[tokio::test]
async fn end_session_without_a_session_still_redirects() -> TestResult {
    let (rp, deployment) = plain().await?;
    let m = LoggedIn::new(&deployment).await?;
    let mut stranger = Browser::new();
    let page = m.request(&rp).send(&m.op, &mut stranger).await?;
    follow_post_logout_redirect(&mut stranger, &page, &rp, Some(&m.state)).await?;
    Ok(())
}

/// The contract: "Stay signed in" ends nothing.
#[tokio::test]
async fn declining_the_confirmation_keeps_the_session() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let page = m.end_session(&EndSession::empty()).await?;
    let form = confirmation_form(&page, &m.op.issuer)?;
    let answer = click(&mut m.browser, &form, "no").await?;
    assert!(
        rp.requests().is_empty(),
        "the RP was called: {:?}",
        rp.requests()
    );
    assert!(answer.status.is_success() || answer.status.is_redirection());
    check_still_logged_in(&m.op, &mut m.browser).await
}

/// Logout CSRF: the confirmation counts only with the form's own `csrf` value; a forged POST (no
/// token, or another one) ends nothing.
#[tokio::test]
async fn confirming_without_the_forms_csrf_token_ends_nothing() -> TestResult {
    let (rp, deployment) = plain().await?;
    let mut m = LoggedIn::new(&deployment).await?;
    let page = m.end_session(&EndSession::empty()).await?;
    let form = confirmation_form(&page, &m.op.issuer)?;
    assert!(
        form.field("csrf").is_some_and(|c| !c.is_empty()),
        "no csrf field"
    );
    let forged_token = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    for csrf in [None, Some(forged_token)] {
        let mut fields = vec![("logout", "yes")];
        fields.extend(csrf.map(|c| ("csrf", c)));
        let answer = m.browser.post(&form.action, &fields).await?;
        assert!(
            answer.location.is_none(),
            "redirected to {:?}",
            answer.location
        );
        check_still_logged_in(&m.op, &mut m.browser).await?;
    }
    assert!(
        rp.requests().is_empty(),
        "the RP was called: {:?}",
        rp.requests()
    );
    Ok(())
}

/// The contract: a `client_id` that is not the hint's audience is refused with an error page.
#[tokio::test]
async fn client_id_other_than_the_hints_audience_is_refused() -> TestResult {
    let rp = Receiver::start().await?;
    let other = r#"
[[clients]]
client_id = "another-rp"
client_name = "Another relying party"
client_secret = "another-rp-secret-0123456789abcdef"
redirect_uris = ["https://another.example.test/callback"]
"#;
    let toml = format!("{}{other}", logout::provisioning(&rp, Channels::default()));
    let deployment = support::Deployment::provisioned(Backend::Sqlite, &toml)?;
    let mut m = LoggedIn::new(&deployment).await?;
    let request = m.request(&rp).set("client_id", "another-rp");
    let page = m.end_session(&request).await?;
    check_error_page(&page, "unrecognized id_token_hint audience", &rp);
    Ok(())
}

/// The contract: a registered post_logout_redirect_uri with a query gets `&state=` appended, the
/// query kept.
#[tokio::test]
async fn state_is_appended_to_a_registered_query() -> TestResult {
    let rp = Receiver::start().await?;
    let plain_uri = rp.url(POST_LOGOUT_REDIRECT);
    let with_query = format!("{plain_uri}?tenant=wonderland");
    let toml = logout::provisioning(&rp, Channels::default()).replace(
        &format!("post_logout_redirect_uris = [\"{plain_uri}\"]"),
        &format!("post_logout_redirect_uris = [\"{plain_uri}\", \"{with_query}\"]"),
    );
    let deployment = support::Deployment::provisioned(Backend::Sqlite, &toml)?;
    let mut m = LoggedIn::new(&deployment).await?;
    let request = m.request(&rp).set("post_logout_redirect_uri", &with_query);
    let page = m.end_session(&request).await?;
    let location = page.location.clone().ok_or("no redirect")?;
    assert!(
        location.starts_with(&format!("{with_query}&state=")),
        "{location}"
    );
    m.browser.get(&location).await?;
    let arrived = rp
        .wait_for("GET", POST_LOGOUT_REDIRECT, Duration::from_secs(1))
        .await?;
    assert_eq!(
        arrived.query_pairs(),
        [
            ("tenant".to_owned(), "wonderland".to_owned()),
            ("state".to_owned(), m.state.clone())
        ]
    );
    m.check_logged_out().await
}
