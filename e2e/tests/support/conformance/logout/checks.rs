//! The suite's checks on Valet's answers to an end-session request (CONFORMANCE.md §1.8–1.10, §2.9),
//! with the contract's choices where the suite accepts several: the post-logout redirect, the error
//! page, the confirmation page, the signed-out page, and `prompt=none` failing afterwards.

use reqwest::StatusCode;

use super::POST_LOGOUT_REDIRECT;
use crate::support::TestResult;
use crate::support::backchannel::{Receiver, Recorded};
use crate::support::browser::{Browser, Form, Page};
use crate::support::conformance::checks::media_type;
use crate::support::conformance::op::Op;
use crate::support::conformance::{AuthRequest, CLIENT, REDIRECT_URI};
use crate::support::oidc;

/// `CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface`.
pub const UI_REQUIRED: [&str; 4] = [
    "login_required",
    "interaction_required",
    "account_selection_required",
    "consent_required",
];

/// The contract's 303 to the registered post-logout redirect URI, followed as a browser does.
pub async fn follow_post_logout_redirect(
    browser: &mut Browser,
    page: &Page,
    receiver: &Receiver,
    state: Option<&str>,
) -> TestResult<Recorded> {
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "the contract's 303 to the post-logout redirect URI; got {} {:?}:\n{}",
        page.status,
        page.location,
        page.body
    );
    let location = page
        .location
        .as_deref()
        .ok_or("a redirect without Location")?;
    arrive_at_rp(browser, location, receiver, state).await
}

/// The browser arrives at `location`, which must be the registered post-logout redirect URI; then
/// `CheckPostLogoutState` (or `CheckNoPostLogoutState` when no state was sent) and
/// `CheckForUnexpectedParametersInPostLogoutRedirect` on what the RP received.
pub async fn arrive_at_rp(
    browser: &mut Browser,
    location: &str,
    receiver: &Receiver,
    state: Option<&str>,
) -> TestResult<Recorded> {
    let registered = receiver.url(POST_LOGOUT_REDIRECT);
    let expected_prefix = match state {
        Some(_) => format!("{registered}?"),
        None => registered.clone(),
    };
    assert!(
        location == registered || location.starts_with(&expected_prefix),
        "redirected to {location}, not to {registered}"
    );
    browser.get(location).await?;
    let arrived = receiver
        .received("GET", POST_LOGOUT_REDIRECT)
        .pop()
        .ok_or("the RP did not receive the post-logout redirect")?;
    let params = arrived.query_pairs();
    match state {
        Some(state) => assert_eq!(
            params,
            [("state".to_owned(), state.to_owned())],
            "CheckPostLogoutState (exact) and CheckForUnexpectedParametersInPostLogoutRedirect"
        ),
        None => assert!(
            params.is_empty() && !arrived.target.contains('?'),
            "CheckNoPostLogoutState: {}",
            arrived.target
        ),
    }
    Ok(arrived)
}

/// What every refused end-session request must give: no redirect to the RP (an immediate FAILURE in
/// the suite), an HTML error page (400, the contract) that the suite's automation recognises by
/// `marker`, with no link to the RP.
pub fn check_error_page(page: &Page, marker: &str, receiver: &Receiver) {
    assert!(
        page.location.is_none(),
        "redirected to {:?} (must not redirect)",
        page.location
    );
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert_eq!(media_type(page.content_type()), "text/html");
    assert!(
        page.body.contains(marker),
        "the error page lacks {marker:?}:\n{}",
        page.body
    );
    assert!(
        !page.body.contains(&format!("href=\"{}", receiver.base())),
        "the error page links to the RP:\n{}",
        page.body
    );
    assert!(
        receiver.received("GET", POST_LOGOUT_REDIRECT).is_empty(),
        "the RP received a post-logout redirect"
    );
}

/// The contract's confirmation page, then the end-user's click on its autofocused "Sign out" button
/// (node's automation clicks `button[autofocus]`).
pub async fn confirm(browser: &mut Browser, page: &Page, issuer: &str) -> TestResult<Page> {
    let form = confirmation_form(page, issuer)?;
    click(browser, &form, "yes").await
}

/// The contract's confirmation page: "Sign out?", a form POSTing hidden inputs to
/// `{issuer}/logout/confirm`, an autofocused `logout=yes` submit button and a `logout=no` one.
pub fn confirmation_form(page: &Page, issuer: &str) -> TestResult<Form> {
    assert!(page.location.is_none(), "redirected to {:?}", page.location);
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.title().is_some_and(|t| t.contains("Sign out?")),
        "title {:?}",
        page.title()
    );
    let form = page
        .forms()
        .into_iter()
        .find(|f| f.attributes.get("id").map(String::as_str) == Some("logout-confirm"))
        .ok_or_else(|| format!("no form#logout-confirm:\n{}", page.body))?;
    assert_eq!(form.method, "post");
    assert_eq!(form.action, format!("{issuer}/logout/confirm"));
    let button = |value: &str| {
        form.buttons.iter().find(|b| {
            b.get("name").map(String::as_str) == Some("logout")
                && b.get("value").map(String::as_str) == Some(value)
        })
    };
    let yes = button("yes").ok_or("no Sign out button (name=logout value=yes)")?;
    assert!(yes.contains_key("autofocus"), "Sign out is not autofocused");
    assert_eq!(yes.get("type").map(String::as_str), Some("submit"));
    assert!(button("no").is_some(), "no Stay signed in button");
    for input in &form.inputs {
        assert_eq!(input.get("type").map(String::as_str), Some("hidden"));
    }
    Ok(form)
}

/// The browser submits `form` with the button `logout=choice`: its hidden inputs and that pair.
pub async fn click(browser: &mut Browser, form: &Form, choice: &str) -> TestResult<Page> {
    let mut fields = form.fields();
    fields.push(("logout".to_owned(), choice.to_owned()));
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    browser.post(&form.action, &fields).await
}

/// The contract's "signed out" page: no redirect, 200, its title, text and element id.
pub fn check_signed_out(page: &Page) {
    assert!(page.location.is_none(), "redirected to {:?}", page.location);
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.title().is_some_and(|t| t.contains("Signed out")),
        "title {:?}",
        page.title()
    );
    assert!(page.body.contains("You are signed out"), "{}", page.body);
    assert!(page.body.contains("id=\"signed-out\""), "{}", page.body);
}

/// The module's second authorization, `prompt=none` in the same browser: it must come back to the
/// client with a user-interface error (FAILURE otherwise); the contract names `login_required`.
pub async fn check_logged_out(op: &Op<'_>, browser: &mut Browser) -> TestResult {
    let state = format!("{}-._~", oidc::random_alnum(124));
    let request = AuthRequest::new(&CLIENT)
        .set("prompt", "none")
        .set("state", &state);
    let journey = op.authorize(browser, &request).await?;
    assert!(
        journey.shown.is_empty(),
        "prompt=none showed {:?}",
        journey.shown
    );
    let callback = oidc::query_callback(&journey.end, REDIRECT_URI)?;
    let error = op.check_error_callback(&callback, &request)?;
    assert!(
        UI_REQUIRED.contains(&error.as_str()),
        "CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface: {error}"
    );
    assert_eq!(error, "login_required", "the contract's error after logout");
    Ok(())
}

/// The session survived: `prompt=none` in the same browser gets a code without showing anything.
pub async fn check_still_logged_in(op: &Op<'_>, browser: &mut Browser) -> TestResult {
    let request = AuthRequest::new(&CLIENT).set("prompt", "none");
    let journey = op.authorize(browser, &request).await?;
    assert!(
        journey.shown.is_empty(),
        "prompt=none showed {:?}",
        journey.shown
    );
    op.code_from(&journey, &request)?;
    Ok(())
}
