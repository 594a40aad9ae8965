//! `oidcc-backchannel-rp-initiated-logout-certification-test-plan` and
//! `oidcc-frontchannel-rp-initiated-logout-certification-test-plan` (CONFORMANCE.md §1.9, §1.10, §2.9)
//! re-enacted against the `valet` binary, one test per module, named after it: the suite's static
//! client registers its back-channel or front-channel logout URI (session required) on a receiver on
//! 127.0.0.1 that plays the suite's RP host, and Valet may call it (VALET_OUTBOUND_ALLOW_NETWORKS).
//! The discovery modules' https checks are replaced by "below the issuer". SQLite; the back-channel
//! module also on PostgreSQL. Last, beyond the plans: a grant revoked with the CLI while the server is
//! down is announced to the RP by back-channel once it is up again.

mod support;

use std::time::{Duration, Instant};

use support::backchannel::Receiver;
use support::browser::Browser;
use support::conformance::CLIENT;
use support::conformance::logout::checks::{arrive_at_rp, follow_post_logout_redirect};
use support::conformance::logout::{
    self, BACKCHANNEL_LOGOUT, Channels, FRONTCHANNEL_LOGOUT, LoggedIn, discovery_module, id_claim,
    login,
};
use support::conformance::op::Op;
use support::logout_token;
use support::{Backend, TestResult};

const BACK: Channels = Channels {
    backchannel: true,
    frontchannel: false,
};
const FRONT: Channels = Channels {
    backchannel: false,
    frontchannel: true,
};

#[tokio::test]
async fn oidcc_backchannel_logout_discovery_endpoint_verification() -> TestResult {
    discovery_module(&[
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
    ])
    .await
}

#[tokio::test]
async fn oidcc_frontchannel_logout_discovery_endpoint_verification() -> TestResult {
    discovery_module(&[
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
    ])
    .await
}

/// `oidcc-backchannel-rp-initiated-logout`: both the back-channel POST and the post-logout redirect
/// arrive (the contract: the POST first), the logout token passes every check of §2.6 and §2.9 and,
/// the client requiring it, carries the session's `sid`; then `prompt=none` fails.
async fn oidcc_backchannel_rp_initiated_logout(backend: Backend) -> TestResult {
    let receiver = Receiver::start().await?;
    let deployment = logout::deployment(backend, &receiver, BACK)?;
    let mut m = LoggedIn::new(&deployment).await?;
    let (sub, sid) = (id_claim(&m.tokens, "sub")?, id_claim(&m.tokens, "sid")?);
    let page = m.end_session(&m.request(&receiver)).await?;
    let answered = Instant::now();
    follow_post_logout_redirect(&mut m.browser, &page, &receiver, Some(&m.state)).await?;
    let post = receiver
        .wait_for("POST", BACKCHANNEL_LOGOUT, Duration::from_secs(10))
        .await?;
    assert!(
        post.at <= answered,
        "the contract: logout tokens are delivered before the browser is redirected"
    );
    let token = logout_token::logout_token_of(&post)?;
    let claims = logout_token::validate_logout_token(
        &token,
        &m.op.issuer,
        &m.op.jwks,
        CLIENT.id,
        &sub,
        Some(&sid),
    )?;
    assert!(
        claims.contains_key("sid"),
        "backchannel_logout_session_required: no sid in {claims:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.received("POST", BACKCHANNEL_LOGOUT).len(),
        1,
        "one delivery"
    );
    m.check_logged_out().await
}

#[tokio::test]
async fn oidcc_backchannel_rp_initiated_logout_on_sqlite() -> TestResult {
    oidcc_backchannel_rp_initiated_logout(Backend::Sqlite).await
}

#[tokio::test]
async fn oidcc_backchannel_rp_initiated_logout_on_postgres() -> TestResult {
    oidcc_backchannel_rp_initiated_logout(Backend::Postgres).await
}

/// `oidcc-frontchannel-rp-initiated-logout`: the logout page embeds the RP's frontchannel_logout_uri
/// with `iss` and the ID token's `sid` and nothing else (Front-Channel Logout §2–3), may load it (its
/// CSP admits the frame and the page's own script), then continues to the post-logout redirect with
/// the exact state; then `prompt=none` fails.
#[tokio::test]
async fn oidcc_frontchannel_rp_initiated_logout() -> TestResult {
    let receiver = Receiver::start().await?;
    let deployment = logout::deployment(Backend::Sqlite, &receiver, FRONT)?;
    let mut m = LoggedIn::new(&deployment).await?;
    let sid = id_claim(&m.tokens, "sid")?;
    let page = m.end_session(&m.request(&receiver)).await?;
    assert_eq!(
        page.status,
        reqwest::StatusCode::OK,
        "{:?}\n{}",
        page.location,
        page.body
    );

    let frontchannel = receiver.url(FRONTCHANNEL_LOGOUT);
    let frames: Vec<String> = page
        .elements("iframe")
        .into_iter()
        .filter_map(|f| f.get("src").cloned())
        .filter(|src| src.starts_with(&frontchannel))
        .collect();
    let [frame] = frames.as_slice() else {
        return Err(format!("expected one iframe of {frontchannel}:\n{}", page.body).into());
    };
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.split(';')
            .any(|d| d.trim().starts_with("frame-src") && d.contains(receiver.base())),
        "CSP frame-src does not admit {}: {csp}",
        receiver.base()
    );
    let nonces: Vec<String> = page
        .elements("script")
        .into_iter()
        .filter_map(|s| s.get("nonce").cloned())
        .collect();
    assert!(
        nonces.iter().any(|n| csp.contains(&format!("'nonce-{n}'"))),
        "no <script nonce> admitted by the CSP ({csp}): {nonces:?}"
    );

    m.browser.get(frame).await?;
    let loaded = receiver
        .wait_for("GET", FRONTCHANNEL_LOGOUT, Duration::from_secs(1))
        .await?;
    let mut params = loaded.query_pairs();
    params.sort();
    assert_eq!(
        params,
        [
            ("iss".to_owned(), m.op.issuer.clone()),
            ("sid".to_owned(), sid)
        ],
        "ValidateFrontchannelLogoutIss, CheckIdTokenSidMatchesFrontChannelLogoutRequest, \
         CheckForUnexpectedParametersInFrontchannelLogoutRequest"
    );

    // Without JavaScript the end-user follows the link; with it, the page's script does.
    let link = page
        .element_by_id("a", "post-logout-continue")
        .ok_or_else(|| format!("no a#post-logout-continue:\n{}", page.body))?;
    assert!(
        !link.contains_key("hidden"),
        "the way on is hidden: {link:?}"
    );
    let next = link
        .get("href")
        .ok_or("a#post-logout-continue has no href")?;
    arrive_at_rp(&mut m.browser, next, &receiver, Some(&m.state)).await?;
    assert!(
        receiver.received("POST", BACKCHANNEL_LOGOUT).is_empty(),
        "no back-channel URI is registered"
    );
    m.check_logged_out().await
}

/// Back-Channel Logout §2.7 and the contract's durable outbox: revoking alice's grant with the CLI
/// while the server is stopped (the receiver up) announces it to the RP with a valid logout token
/// within 15 s of the next start; the grant's access token is dead by then.
#[tokio::test]
async fn grant_revoked_while_stopped_is_announced_by_backchannel_after_restart() -> TestResult {
    let receiver = Receiver::start().await?;
    let deployment = logout::deployment(Backend::Sqlite, &receiver, BACK)?;
    let op = Op::new(deployment.start().await?).await?;
    let tokens = login(&op, &mut Browser::new()).await?;
    let (sub, sid) = (id_claim(&tokens, "sub")?, id_claim(&tokens, "sid")?);
    let Op { valet, .. } = op;
    valet.stop()?;

    let revoked = deployment.cli(&["grant", "revoke", "--user", "alice", "--client", CLIENT.id])?;
    assert!(
        revoked.status.success(),
        "valet grant revoke: {}\n{}",
        String::from_utf8_lossy(&revoked.stdout),
        String::from_utf8_lossy(&revoked.stderr)
    );
    let valet = deployment.start().await?;
    let post = receiver
        .wait_for("POST", BACKCHANNEL_LOGOUT, Duration::from_secs(15))
        .await?;
    let token = logout_token::logout_token_of(&post)?;
    let keys = logout_token::published_keys(&valet.issuer).await?;
    logout_token::validate_logout_token(&token, &valet.issuer, &keys, CLIENT.id, &sub, Some(&sid))?;

    let userinfo = reqwest::Client::new()
        .get(valet.url("/userinfo"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await?;
    assert_eq!(
        userinfo.status(),
        reqwest::StatusCode::UNAUTHORIZED,
        "a revoked grant's token"
    );
    Ok(())
}

/// The contract's durable outbox: an RP that fails the delivery (503) does not hold up the logout,
/// and the logout token is delivered again with back-off (first retry after about 10 s).
#[tokio::test]
async fn failed_backchannel_delivery_is_retried() -> TestResult {
    let receiver = Receiver::start().await?;
    receiver.fail_next_backchannel(1);
    let deployment = logout::deployment(Backend::Sqlite, &receiver, BACK)?;
    let mut m = LoggedIn::new(&deployment).await?;
    let (sub, sid) = (id_claim(&m.tokens, "sub")?, id_claim(&m.tokens, "sid")?);
    let page = m.end_session(&m.request(&receiver)).await?;
    follow_post_logout_redirect(&mut m.browser, &page, &receiver, Some(&m.state)).await?;
    m.check_logged_out().await?;
    let deadline = Instant::now() + Duration::from_secs(40);
    let retried = loop {
        if let Some(second) = receiver.received("POST", BACKCHANNEL_LOGOUT).get(1) {
            break second.clone();
        }
        assert!(Instant::now() < deadline, "no second delivery within 40 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let token = logout_token::logout_token_of(&retried)?;
    let (issuer, jwks) = (&m.op.issuer, &m.op.jwks);
    logout_token::validate_logout_token(&token, issuer, jwks, CLIENT.id, &sub, Some(&sid))?;
    Ok(())
}

/// The contract: the logout waits at most the delivery timeout (5 s) for a slow RP before it
/// redirects the browser.
#[tokio::test]
async fn a_slow_backchannel_holds_the_logout_at_most_the_delivery_timeout() -> TestResult {
    let receiver = Receiver::start().await?;
    receiver.delay_backchannel(Duration::from_secs(20));
    let deployment = logout::deployment(Backend::Sqlite, &receiver, BACK)?;
    let mut m = LoggedIn::new(&deployment).await?;
    let started = Instant::now();
    let page = m.end_session(&m.request(&receiver)).await?;
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(8),
        "the logout took {waited:?}"
    );
    follow_post_logout_redirect(&mut m.browser, &page, &receiver, Some(&m.state)).await?;
    assert_eq!(receiver.received("POST", BACKCHANNEL_LOGOUT).len(), 1);
    m.check_logged_out().await
}
