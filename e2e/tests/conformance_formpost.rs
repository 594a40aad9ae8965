//! `oidcc-formpost-basic-certification-test-plan` (CONFORMANCE.md §1.5): the Basic plan with
//! `response_mode=form_post`. Every answer of the authorization endpoint, errors included, must arrive
//! as an auto-submitting HTML form that POSTs only hidden fields to the redirect URI, with nothing in
//! its query (OAuth 2.0 Form Post Response Mode §2). The happy flow and the two error modules.

mod support;

use support::browser::Browser;
use support::conformance::checks::form_post_callback;
use support::conformance::op::Op;
use support::conformance::{self, AuthRequest, CLIENT, REDIRECT_URI};
use support::oidc::{self, Shown};
use support::{Backend, Deployment, TestResult};

fn form_post(request: AuthRequest) -> AuthRequest {
    request.set("response_mode", "form_post")
}

#[tokio::test]
async fn oidcc_server() -> TestResult {
    let deployment = Deployment::provisioned(Backend::Sqlite, &conformance::provisioning())?;
    let op = Op::new(deployment.start().await?).await?;
    let request = form_post(AuthRequest::new(&CLIENT));
    let journey = op.authorize(&mut Browser::new(), &request).await?;
    assert_eq!(journey.shown, [Shown::Login, Shown::Consent]);
    let callback = form_post_callback(&journey.end, REDIRECT_URI)?;
    let code = op.check_success_callback(&callback, &request)?;
    let tokens = op.exchange(&CLIENT, &code, &request, None).await?;
    op.userinfo_get(&tokens).await?;
    Ok(())
}

#[tokio::test]
async fn oidcc_prompt_none_not_logged_in() -> TestResult {
    let deployment = Deployment::provisioned(Backend::Sqlite, &conformance::provisioning())?;
    let op = Op::new(deployment.start().await?).await?;
    let state = format!("{}-._~", oidc::random_alnum(124));
    let request = form_post(AuthRequest::new(&CLIENT))
        .set("prompt", "none")
        .set("state", &state);
    let journey = op.authorize(&mut Browser::new(), &request).await?;
    assert!(
        journey.shown.is_empty(),
        "prompt=none showed {:?}",
        journey.shown
    );
    let callback = form_post_callback(&journey.end, REDIRECT_URI)?;
    let error = op.check_error_callback(&callback, &request)?;
    assert!(
        [
            "login_required",
            "interaction_required",
            "account_selection_required",
            "consent_required"
        ]
        .contains(&error.as_str()),
        "{error}"
    );
    Ok(())
}

#[tokio::test]
async fn oidcc_response_type_missing() -> TestResult {
    let deployment = Deployment::provisioned(Backend::Sqlite, &conformance::provisioning())?;
    let op = Op::new(deployment.start().await?).await?;
    let request = form_post(AuthRequest::new(&CLIENT)).without("response_type");
    let journey = op.authorize(&mut Browser::new(), &request).await?;
    assert!(journey.shown.is_empty());
    let callback = form_post_callback(&journey.end, REDIRECT_URI)?;
    let error = op.check_error_callback(&callback, &request)?;
    assert!(
        ["invalid_request", "unsupported_response_type"].contains(&error.as_str()),
        "{error}"
    );
    Ok(())
}
