use chrono::Duration;
use uuid::Uuid;

use super::*;
use crate::authorize::{ClaimRequest, ClaimsRequest, RedirectTarget, ResponseMode};
use crate::client::{ClientId, RedirectUri, ResponseType};
use crate::provision::ClientEntry;
use crate::random::OsRandom;
use crate::session::LoginOrigin;
use crate::user::Username;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn client(first_party: bool) -> Client {
    let entry = ClientEntry {
        client_id: "web".into(),
        client_name: "Web".into(),
        client_secret: Some("s".repeat(40)),
        redirect_uris: vec!["https://web.example/cb".into()],
        first_party,
        ..Default::default()
    };
    let spec = entry.validate(0).unwrap_or_else(|e| panic!("{e}"));
    Client {
        id: Uuid::now_v7(),
        client_id: spec.client_id,
        secret_hash: None,
        previous_secret: None,
        sealed_secret: None,
        metadata: spec.metadata,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn request(prompt: &[Prompt], max_age: Option<Duration>) -> AuthorizationRequest {
    let uri = "https://web.example/cb";
    AuthorizationRequest {
        client_id: ClientId::parse("web").unwrap_or_else(|e| panic!("{e}")),
        redirect_uri: RedirectUri::parse(uri, crate::client::ApplicationType::Web)
            .unwrap_or_else(|e| panic!("{e}")),
        redirect_uri_given: true,
        response_type: ResponseType::Code,
        target: RedirectTarget {
            redirect_uri: uri.into(),
            mode: ResponseMode::Query,
            state: None,
        },
        scopes: vec!["openid".into(), "email".into()],
        nonce: None,
        prompt: prompt.to_vec(),
        max_age,
        login_hint: None,
        id_token_hint: None,
        ui_locales: vec![],
        claims_locales: vec![],
        acr_values: vec![],
        display: None,
        claims: None,
        code_challenge: None,
    }
}

fn user() -> User {
    User {
        id: Uuid::now_v7(),
        username: Username::parse("alice").unwrap_or_else(|e| panic!("{e}")),
        password_hash: None,
        disabled: false,
        claims: Default::default(),
        roles: Default::default(),
        created_at: t0(),
        updated_at: t0(),
        second_factor: false,
    }
}

fn session(user: &User) -> Session {
    Session::start(
        user.id,
        vec!["pwd".into()],
        None,
        LoginOrigin::default(),
        t0(),
        Duration::days(1),
        &OsRandom,
    )
    .0
}

fn none<'a>() -> Context<'a> {
    Context {
        session: None,
        grant: None,
        hinted_subject: None,
        just_logged_in: false,
        just_consented: false,
    }
}

#[test]
fn without_a_session_the_user_logs_in_or_prompt_none_gets_login_required() {
    assert_eq!(
        decide(&request(&[], None), &client(false), none(), t0()),
        Decision::Login
    );
    assert!(matches!(
        decide(
            &request(&[Prompt::None], None),
            &client(false),
            none(),
            t0()
        ),
        Decision::Refuse(OAuthErrorCode::LoginRequired, _)
    ));
}

#[test]
fn a_session_with_a_covering_grant_issues_silently() {
    let (u, c) = (user(), client(false));
    let s = session(&u);
    let grant = Grant::new(
        u.id,
        c.id,
        vec!["openid".into(), "email".into(), "profile".into()],
        t0(),
    );
    let ctx = Context {
        session: Some((&s, &u)),
        grant: Some(&grant),
        ..none()
    };
    assert_eq!(decide(&request(&[], None), &c, ctx, t0()), Decision::Issue);
    assert_eq!(
        decide(&request(&[Prompt::None], None), &c, ctx, t0()),
        Decision::Issue
    );
}

#[test]
fn missing_or_narrower_consent_asks_unless_first_party() {
    let u = user();
    let s = session(&u);
    let c = client(false);
    let narrow = Grant::new(u.id, c.id, vec!["openid".into()], t0());
    let ctx = Context {
        session: Some((&s, &u)),
        grant: Some(&narrow),
        ..none()
    };
    assert_eq!(
        decide(&request(&[], None), &c, ctx, t0()),
        Decision::Consent
    );
    assert!(matches!(
        decide(&request(&[Prompt::None], None), &c, ctx, t0()),
        Decision::Refuse(OAuthErrorCode::ConsentRequired, _)
    ));
    assert_eq!(
        decide(
            &request(&[], None),
            &client(true),
            Context { grant: None, ..ctx },
            t0()
        ),
        Decision::Issue
    );
    let answered = Context {
        just_consented: true,
        ..ctx
    };
    assert_eq!(
        decide(&request(&[], None), &c, answered, t0()),
        Decision::Issue
    );
}

#[test]
fn prompt_consent_forces_the_page_even_for_first_party_clients() {
    let u = user();
    let s = session(&u);
    let ctx = Context {
        session: Some((&s, &u)),
        ..none()
    };
    assert_eq!(
        decide(&request(&[Prompt::Consent], None), &client(true), ctx, t0()),
        Decision::Consent
    );
}

#[test]
fn prompt_login_and_select_account_ask_again_once() {
    let u = user();
    let s = session(&u);
    let c = client(true);
    let ctx = Context {
        session: Some((&s, &u)),
        ..none()
    };
    assert_eq!(
        decide(&request(&[Prompt::Login], None), &c, ctx, t0()),
        Decision::Login
    );
    assert_eq!(
        decide(&request(&[Prompt::SelectAccount], None), &c, ctx, t0()),
        Decision::Login
    );
    let after = Context {
        just_logged_in: true,
        ..ctx
    };
    assert_eq!(
        decide(&request(&[Prompt::Login], None), &c, after, t0()),
        Decision::Issue
    );
}

#[test]
fn max_age_requires_a_recent_login() {
    let u = user();
    let s = session(&u);
    let c = client(true);
    let ctx = Context {
        session: Some((&s, &u)),
        ..none()
    };
    let later = t0() + Duration::seconds(2);
    assert_eq!(
        decide(&request(&[], Some(Duration::seconds(1))), &c, ctx, later),
        Decision::Login
    );
    assert_eq!(
        decide(
            &request(&[], Some(Duration::seconds(10_000))),
            &c,
            ctx,
            later
        ),
        Decision::Issue
    );
    assert!(matches!(
        decide(
            &request(&[Prompt::None], Some(Duration::seconds(1))),
            &c,
            ctx,
            later
        ),
        Decision::Refuse(OAuthErrorCode::LoginRequired, _)
    ));
}

#[test]
fn an_id_token_hint_for_another_user_needs_a_new_login() {
    let u = user();
    let s = session(&u);
    let c = client(true);
    let own = u.id.to_string();
    let matching = Context {
        session: Some((&s, &u)),
        hinted_subject: Some(&own),
        ..none()
    };
    assert_eq!(
        decide(&request(&[Prompt::None], None), &c, matching, t0()),
        Decision::Issue
    );
    let other = Context {
        hinted_subject: Some("someone-else"),
        ..matching
    };
    assert!(matches!(
        decide(&request(&[Prompt::None], None), &c, other, t0()),
        Decision::Refuse(OAuthErrorCode::LoginRequired, _)
    ));
    assert_eq!(
        decide(&request(&[], None), &c, other, t0()),
        Decision::Login
    );
}

#[test]
fn multi_factor_is_required_by_acr_values_or_the_clients_default() {
    let (u, mut c) = (user(), client(true));
    let mut s = session(&u);
    s.acr = Some("1".into());
    let ctx = Context {
        session: Some((&s, &u)),
        just_logged_in: true,
        ..none()
    };
    let mut asking = request(&[], None);
    asking.acr_values = vec!["2".into()];
    assert_eq!(
        decide(&asking, &c, ctx, t0()),
        Decision::Login,
        "even right after a password"
    );
    let mut either = request(&[], None);
    either.acr_values = vec!["2".into(), "1".into()];
    assert_eq!(
        decide(&either, &c, ctx, t0()),
        Decision::Issue,
        "1 is acceptable too"
    );
    assert!(matches!(
        decide(
            &{
                let mut r = asking.clone();
                r.prompt = vec![Prompt::None];
                r
            },
            &c,
            ctx,
            t0()
        ),
        Decision::Refuse(OAuthErrorCode::LoginRequired, _)
    ));

    c.metadata.default_acr_values = vec!["2".into(), "1".into()];
    assert_eq!(
        decide(&asking, &c, ctx, t0()),
        Decision::Login,
        "the request narrows a default that accepts either"
    );
    assert_eq!(decide(&request(&[], None), &c, ctx, t0()), Decision::Issue);

    c.metadata.default_acr_values = vec!["2".into()];
    assert_eq!(decide(&request(&[], None), &c, ctx, t0()), Decision::Login);
    let mut lower = request(&[], None);
    lower.acr_values = vec!["1".into()];
    for r in [&either, &lower] {
        assert_eq!(
            decide(r, &c, ctx, t0()),
            Decision::Login,
            "a request cannot lower what the client requires"
        );
    }

    s.acr = Some("2".into());
    let ctx = Context {
        session: Some((&s, &u)),
        ..none()
    };
    assert_eq!(decide(&request(&[], None), &c, ctx, t0()), Decision::Issue);
    assert_eq!(decide(&asking, &c, ctx, t0()), Decision::Issue);
}

#[test]
fn an_essential_acr_claim_binds_and_overrides_acr_values() {
    let c = client(true);
    let with_acr = |acr: ClaimRequest| {
        let mut r = request(&[], None);
        r.acr_values = vec!["1".into()];
        r.claims = Some(ClaimsRequest {
            id_token: [("acr".to_owned(), acr)].into_iter().collect(),
            ..Default::default()
        });
        r
    };
    let essential = |value: Option<&str>, values: Option<&[&str]>| ClaimRequest {
        essential: true,
        value: value.map(Into::into),
        values: values.map(|vs| vs.iter().map(|v| (*v).into()).collect()),
    };
    assert!(requires_mfa(&with_acr(essential(Some("2"), None)), &c));
    assert!(requires_mfa(&with_acr(essential(None, Some(&["2"]))), &c));
    assert!(
        !requires_mfa(&with_acr(essential(None, Some(&["2", "1"]))), &c),
        "1 accepted"
    );
    let voluntary = ClaimRequest {
        essential: false,
        ..essential(Some("2"), None)
    };
    assert!(
        !requires_mfa(&with_acr(voluntary), &c),
        "voluntary: acr_values=1 decide"
    );
    assert!(
        !requires_mfa(&with_acr(essential(None, None)), &c),
        "no value: acr_values decide"
    );
}
