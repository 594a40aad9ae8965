use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::*;
use crate::client::{ApplicationType, RedirectUri, TokenEndpointAuthMethod};
use crate::client_auth::fixtures::{Clients, client};
use crate::keys::SigningAlg;
use crate::random::OsRandom;
use crate::session::LoginOrigin;
use crate::testing::ring;

const ISSUER: &str = "https://op.example";
const REDIRECT: &str = "https://rp.example/post_logout_redirect";

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn issuer() -> Issuer {
    Issuer::parse(ISSUER).unwrap_or_else(|e| panic!("{e}"))
}

fn rp() -> Client {
    let mut rp = client("rp", TokenEndpointAuthMethod::ClientSecretBasic);
    rp.metadata.post_logout_redirect_uris =
        vec![RedirectUri::parse(REDIRECT, ApplicationType::Web).unwrap_or_else(|e| panic!("{e}"))];
    rp.metadata.frontchannel_logout_uri = Some("https://rp.example/fc?x=1".into());
    rp
}

fn id_token(ring: &KeyRing, claims: Value) -> String {
    let payload = serde_json::to_vec(&claims).unwrap_or_default();
    ring.sign(SigningAlg::Es256, "JWT", &payload)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn claims(sub: &str) -> Value {
    json!({"iss": ISSUER, "sub": sub, "aud": "rp", "sid": "s-1", "iat": 1, "exp": 2})
}

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::new(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

async fn check(ring: &KeyRing, pairs: &[(&str, &str)]) -> Result<LogoutRequest, LogoutError> {
    validate(&params(pairs), &issuer(), ring, &Clients::of(vec![rp()]))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn unsigned(claims: &Value) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap_or_default());
    format!(
        "{}.{}.",
        part(&json!({"alg": "none", "typ": "JWT"})),
        part(claims)
    )
}

#[tokio::test]
async fn an_expired_hint_signed_by_valet_names_the_user_and_the_client() {
    let ring = ring(&[SigningAlg::Es256], now());
    let hint = id_token(&ring, claims("u-1"));
    let req = check(
        &ring,
        &[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", REDIRECT),
        ],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let found = req.hint.clone().unwrap_or_else(|| panic!("no hint"));
    assert_eq!(found.sub, "u-1");
    assert_eq!(found.sid.as_deref(), Some("s-1"));
    assert_eq!(
        req.client
            .map(|c| c.client_id.as_str().to_owned())
            .as_deref(),
        Some("rp")
    );
    assert_eq!(req.post_logout_redirect_uri.as_deref(), Some(REDIRECT));
}

#[tokio::test]
async fn unsigned_foreign_or_other_issuer_hints_are_refused() {
    let ring = ring(&[SigningAlg::Es256], now());
    let foreign = super::super::testing::ring(&[SigningAlg::Es256], now());
    let mut other_issuer = claims("u-1");
    other_issuer["iss"] = json!("https://evil.example");
    for hint in [
        unsigned(&claims("u-1")),
        id_token(&foreign, claims("u-1")),
        id_token(&ring, other_issuer),
        "not.a.jwt".to_owned(),
    ] {
        let result = check(&ring, &[("id_token_hint", &hint)]).await;
        assert_eq!(result.err(), Some(LogoutError::InvalidHint));
    }
    let access_token = ring
        .sign(
            SigningAlg::Es256,
            "at+jwt",
            &serde_json::to_vec(&claims("u-1")).unwrap_or_default(),
        )
        .unwrap_or_default();
    let result = check(&ring, &[("id_token_hint", &access_token)]).await;
    assert_eq!(
        result.err(),
        Some(LogoutError::InvalidHint),
        "only ID tokens are hints"
    );
}

#[tokio::test]
async fn a_client_id_must_be_in_the_hints_audience() {
    let ring = ring(&[SigningAlg::Es256], now());
    let hint = id_token(&ring, claims("u-1"));
    let result = check(&ring, &[("id_token_hint", &hint), ("client_id", "other")]).await;
    assert_eq!(result.err(), Some(LogoutError::AudienceMismatch));
    assert!(
        check(&ring, &[("id_token_hint", &hint), ("client_id", "rp")])
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_post_logout_redirect_uri_must_match_exactly_and_needs_a_client() {
    let ring = ring(&[SigningAlg::Es256], now());
    let with_query = format!("{REDIRECT}?foo=bar");
    for uri in [
        with_query.as_str(),
        "https://rp.example/other",
        "https://RP.example/post_logout_redirect",
    ] {
        let result = check(
            &ring,
            &[("client_id", "rp"), ("post_logout_redirect_uri", uri)],
        )
        .await;
        assert_eq!(
            result.err(),
            Some(LogoutError::UnregisteredRedirect),
            "{uri}"
        );
    }
    let result = check(
        &ring,
        &[("post_logout_redirect_uri", REDIRECT), ("state", "s")],
    )
    .await;
    assert_eq!(result.err(), Some(LogoutError::RedirectWithoutClient));
    let result = check(
        &ring,
        &[
            ("client_id", "nobody"),
            ("post_logout_redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(result.err(), Some(LogoutError::UnknownClient));
    assert!(
        check(
            &ring,
            &[("client_id", "rp"), ("post_logout_redirect_uri", REDIRECT)]
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn repeated_parameters_are_refused_and_no_parameters_are_fine() {
    let ring = ring(&[SigningAlg::Es256], now());
    let result = check(&ring, &[("state", "a"), ("state", "b")]).await;
    assert_eq!(result.err(), Some(LogoutError::Repeated("state".into())));
    let req = check(&ring, &[]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(req.hint.is_none() && req.client.is_none());
    assert_eq!(req.redirect_target(), None);
}

#[tokio::test]
async fn state_comes_back_exactly_and_only_when_sent() {
    let ring = ring(&[SigningAlg::Es256], now());
    let nasty = "abcXYZ0123!\"#$%&'()*,-./:<=>?@[\\]^_`{|}~";
    let req = check(
        &ring,
        &[
            ("client_id", "rp"),
            ("post_logout_redirect_uri", REDIRECT),
            ("state", nasty),
        ],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let target = req.redirect_target().unwrap_or_default();
    let url = url::Url::parse(&target).unwrap_or_else(|e| panic!("{e}"));
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs, vec![("state".to_owned(), nasty.to_owned())]);
    let req = check(
        &ring,
        &[("client_id", "rp"), ("post_logout_redirect_uri", REDIRECT)],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(req.redirect_target().as_deref(), Some(REDIRECT));
}

#[tokio::test]
async fn only_a_hint_naming_the_signed_in_user_skips_the_confirmation() {
    let ring = ring(&[SigningAlg::Es256], now());
    let (session, _) = Session::start(
        Uuid::now_v7(),
        vec!["pwd".into()],
        None,
        LoginOrigin::default(),
        now(),
        Duration::days(1),
        &OsRandom,
    );
    let mine = id_token(&ring, claims(&session.user_id.to_string()));
    let theirs = id_token(&ring, claims("someone-else"));
    let req = |hint: &str| {
        let hint = hint.to_owned();
        let ring = &ring;
        async move {
            check(ring, &[("id_token_hint", &hint)])
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    assert!(!req(&mine).await.needs_confirmation(&session));
    assert!(req(&theirs).await.needs_confirmation(&session));
    let no_hint = check(&ring, &[]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(no_hint.needs_confirmation(&session));
}

#[test]
fn the_frontchannel_uri_carries_iss_and_sid() {
    let sid = Uuid::now_v7();
    let uri = frontchannel_uri(&rp(), &issuer(), sid).unwrap_or_default();
    assert_eq!(
        uri,
        format!("https://rp.example/fc?x=1&iss=https%3A%2F%2Fop.example&sid={sid}")
    );
    let mut plain = rp();
    plain.metadata.frontchannel_logout_uri = None;
    assert_eq!(frontchannel_uri(&plain, &issuer(), sid), None);
}

#[test]
fn the_confirmation_token_belongs_to_one_session_cookie() {
    let mine = SessionToken::generate(&OsRandom);
    let theirs = SessionToken::generate(&OsRandom);
    let token = confirmation_token(&mine);
    assert!(confirmation_matches(&mine, &token));
    assert!(!confirmation_matches(&theirs, &token));
    assert!(!confirmation_matches(&mine, ""));
    assert_ne!(token, mine.hash().as_str(), "not the stored session hash");
}
