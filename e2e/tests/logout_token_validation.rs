//! The relying party's side of the logout tests, tested on its own (no `valet`): the receiver speaks
//! enough HTTP/1.1 and answers as Back-Channel Logout 1.0 §2.8 asks, and `validate_logout_token`
//! refuses every token that §2.4–2.6 (and the suite's conditions, CONFORMANCE.md §2.9) refuse, so a
//! passing logout test means what it says.

mod support;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jws::{self, JwsHeader, JwsSigner};
use josekit::jwt::{self, JwtPayload};
use serde_json::{Map, Value, json};
use support::backchannel::Receiver;
use support::logout_token::{BACKCHANNEL_LOGOUT_EVENT, logout_token_of, validate_logout_token};
use support::{TestResult, oidc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ISSUER: &str = "https://op.example.test";
const CLIENT: &str = "rp";
const SUB: &str = "alice-sub";
const SID: &str = "session-1";

/// An issuer's RS256 key, published under `kid`.
struct IssuerKey {
    kid: String,
    signer: jws::alg::rsassa::RsassaJwsSigner,
    jwks: Vec<Map<String, Value>>,
}

impl IssuerKey {
    fn new(kid: &str) -> TestResult<Self> {
        let pair = jws::RS256.generate_key_pair(2048)?;
        let mut public = pair.to_jwk_public_key();
        public.set_key_id(kid);
        public.set_key_use("sig");
        public.set_algorithm("RS256");
        Ok(Self {
            kid: kid.to_owned(),
            signer: jws::RS256.signer_from_jwk(&pair.to_jwk_private_key())?,
            jwks: vec![public.as_ref().clone()],
        })
    }

    fn sign(&self, typ: Option<&str>, claims: &Value) -> TestResult<String> {
        let mut header = JwsHeader::new();
        header.set_key_id(&self.kid);
        if let Some(typ) = typ {
            header.set_token_type(typ);
        }
        let payload = JwtPayload::from_map(claims.as_object().cloned().unwrap_or_default())?;
        Ok(jwt::encode_with_signer(
            &payload,
            &header,
            &self.signer as &dyn JwsSigner,
        )?)
    }
}

fn claims() -> Value {
    let now = oidc::now_secs();
    json!({
        "iss": ISSUER, "aud": CLIENT, "iat": now, "exp": now + 120, "jti": "jti-1",
        "sub": SUB, "sid": SID, "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    })
}

fn with(changes: &[(&str, Option<Value>)]) -> Value {
    let mut claims = claims();
    for (name, value) in changes {
        match (claims.as_object_mut(), value) {
            (Some(map), Some(value)) => map.insert((*name).to_owned(), value.clone()),
            (Some(map), None) => map.remove(*name),
            (None, _) => None,
        };
    }
    claims
}

fn check(key: &IssuerKey, token: &str, sid: Option<&str>) -> TestResult {
    validate_logout_token(token, ISSUER, &key.jwks, CLIENT, SUB, sid).map(drop)
}

#[test]
fn a_valid_logout_token_passes_in_each_of_its_allowed_shapes() -> TestResult {
    let key = IssuerKey::new("k1")?;
    let typ = Some("logout+jwt");
    check(&key, &key.sign(typ, &claims())?, Some(SID))?;
    check(
        &key,
        &key.sign(Some("application/logout+jwt"), &claims())?,
        Some(SID),
    )?;
    let audiences = with(&[("aud", Some(json!(["other", CLIENT])))]);
    check(&key, &key.sign(typ, &audiences)?, Some(SID))?;
    check(&key, &key.sign(typ, &with(&[("sid", None)]))?, None)?;
    check(&key, &key.sign(typ, &with(&[("sub", None)]))?, Some(SID))?;
    Ok(())
}

#[test]
fn every_rule_of_back_channel_logout_section_2_6_is_enforced() -> TestResult {
    let key = IssuerKey::new("k1")?;
    let now = oidc::now_secs();
    let typ = Some("logout+jwt");
    let bad_claims: Vec<(&str, Value)> = vec![
        ("iss", with(&[("iss", Some(json!("https://evil.example")))])),
        ("aud", with(&[("aud", Some(json!("other-rp")))])),
        ("aud array", with(&[("aud", Some(json!(["other-rp"])))])),
        ("no iat", with(&[("iat", None)])),
        ("iat ahead", with(&[("iat", Some(json!(now + 600)))])),
        ("iat old", with(&[("iat", Some(json!(now - 2 * 86_400)))])),
        ("no exp", with(&[("exp", None)])),
        ("expired", with(&[("exp", Some(json!(now - 1)))])),
        ("no jti", with(&[("jti", None)])),
        ("no events", with(&[("events", None)])),
        (
            "events array",
            with(&[("events", Some(json!([BACKCHANNEL_LOGOUT_EVENT])))]),
        ),
        (
            "two events",
            with(&[(
                "events",
                Some(json!({ BACKCHANNEL_LOGOUT_EVENT: {}, "x": {} })),
            )]),
        ),
        (
            "event not empty",
            with(&[(
                "events",
                Some(json!({ BACKCHANNEL_LOGOUT_EVENT: {"a": 1} })),
            )]),
        ),
        ("nonce", with(&[("nonce", Some(json!("n")))])),
        ("neither sub nor sid", with(&[("sub", None), ("sid", None)])),
        ("sub", with(&[("sub", Some(json!("bob")))])),
        ("sid", with(&[("sid", Some(json!("session-2")))])),
    ];
    for (rule, claims) in bad_claims {
        let token = key.sign(typ, &claims)?;
        assert!(check(&key, &token, Some(SID)).is_err(), "accepted: {rule}");
    }
    let with_sid = key.sign(typ, &claims())?;
    assert!(
        check(&key, &with_sid, None).is_err(),
        "a sid the ID token lacked"
    );
    for typ in [None, Some("JWT"), Some("at+jwt")] {
        let token = key.sign(typ, &claims())?;
        assert!(check(&key, &token, Some(SID)).is_err(), "typ {typ:?}");
    }
    let impostor = IssuerKey::new("k1")?;
    let forged = impostor.sign(typ, &claims())?;
    assert!(check(&key, &forged, Some(SID)).is_err(), "another key");
    let unknown_kid = IssuerKey::new("k2")?.sign(typ, &claims())?;
    assert!(check(&key, &unknown_kid, Some(SID)).is_err(), "unknown kid");
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"logout+jwt","kid":"k1"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
    let unsigned = format!("{header}.{payload}.");
    assert!(check(&key, &unsigned, Some(SID)).is_err(), "alg none");
    Ok(())
}

/// Writes `request` raw to the receiver and returns its raw answer.
async fn raw(receiver: &Receiver, request: &[u8]) -> TestResult<String> {
    let address = receiver.base().trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.write_all(request).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    Ok(answer)
}

#[tokio::test]
async fn the_receiver_records_requests_and_answers_like_a_relying_party() -> TestResult {
    let receiver = Receiver::start().await?;
    let answer = reqwest::Client::new()
        .post(receiver.url("/backchannel_logout"))
        .form(&[("logout_token", "a.b.c")])
        .send()
        .await?;
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let cache = answer.headers().get("cache-control").cloned();
    assert_eq!(
        cache.as_ref().and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let post = receiver
        .wait_for("POST", "/backchannel_logout", Duration::from_secs(1))
        .await?;
    assert_eq!(logout_token_of(&post)?, "a.b.c");

    let chunked = b"POST /backchannel_logout HTTP/1.1\r\nHost: rp\r\n\
        Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n\
        6\r\nlogout\r\n8\r\n_token=x\r\n5\r\n&a=b1\r\n0\r\n\r\n";
    assert!(raw(&receiver, chunked).await?.starts_with("HTTP/1.1 200"));
    let posts = receiver.received("POST", "/backchannel_logout");
    let second = posts.get(1).ok_or("the chunked POST was not recorded")?;
    assert_eq!(second.body, b"logout_token=x&a=b1");
    assert!(logout_token_of(second).is_err(), "a second parameter");

    let page = reqwest::get(receiver.url("/frontchannel_logout?iss=x&sid=y")).await?;
    assert_eq!(page.text().await?, "ok");
    let frame = receiver
        .wait_for("GET", "/frontchannel_logout", Duration::from_secs(1))
        .await?;
    assert_eq!(frame.query_pairs().len(), 2);
    assert!(
        logout_token_of(&frame).is_err(),
        "a GET is no logout request"
    );
    Ok(())
}
