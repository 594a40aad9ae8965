use url::Url;

use super::*;
use crate::oauth_error::OAuthErrorCode;

fn issuer() -> Issuer {
    Issuer::parse("https://id.example.com").unwrap_or_else(|e| panic!("{e}"))
}

fn target(uri: &str, mode: ResponseMode, state: Option<&str>) -> RedirectTarget {
    RedirectTarget {
        redirect_uri: uri.to_owned(),
        mode,
        state: state.map(str::to_owned),
    }
}

fn code() -> Vec<(String, String)> {
    vec![("code".to_owned(), "abc".to_owned())]
}

fn location(response: AuthorizationResponse) -> Url {
    match response {
        AuthorizationResponse::Redirect(location) => {
            Url::parse(&location).unwrap_or_else(|e| panic!("{location}: {e}"))
        }
        other => panic!("expected a redirect, got {other:?}"),
    }
}

fn pairs(encoded: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(encoded.as_bytes())
        .into_owned()
        .collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn query_mode_adds_fields_then_state_then_iss() {
    let url = location(
        target("https://app.example/cb", ResponseMode::Query, Some("xyz"))
            .respond(&issuer(), code()),
    );
    assert_eq!(url.fragment(), None);
    assert_eq!(
        pairs(url.query().unwrap_or_default()),
        owned(&[
            ("code", "abc"),
            ("state", "xyz"),
            ("iss", "https://id.example.com")
        ])
    );
}

#[test]
fn a_registered_query_is_kept_intact() {
    let uri = "https://app.example/cb?tenant=a%20b&x=1";
    let response = target(uri, ResponseMode::Query, None).respond(&issuer(), code());
    let AuthorizationResponse::Redirect(location) = &response else {
        panic!("expected a redirect, got {response:?}");
    };
    assert!(
        location.starts_with(&format!("{uri}&code=abc&")),
        "{location}"
    );
    assert_eq!(
        pairs(raw_query(location)),
        owned(&[
            ("tenant", "a b"),
            ("x", "1"),
            ("code", "abc"),
            ("iss", "https://id.example.com")
        ])
    );
}

#[test]
fn a_uri_ending_in_a_question_mark_gets_no_extra_separator() {
    let response =
        target("https://app.example/cb?", ResponseMode::Query, None).respond(&issuer(), code());
    assert_eq!(
        response,
        AuthorizationResponse::Redirect(
            "https://app.example/cb?code=abc&iss=https%3A%2F%2Fid.example.com".to_owned()
        )
    );
}

#[test]
fn state_round_trips_byte_exact() {
    let tricky = "a b+c~-._%20&=?#é/";
    let long = format!(
        "{}-._~",
        "Ab9".repeat(42).chars().take(124).collect::<String>()
    );
    assert_eq!(long.len(), 128);
    for state in [tricky, long.as_str()] {
        for mode in [ResponseMode::Query, ResponseMode::Fragment] {
            let url = location(
                target("https://app.example/cb?k=v", mode, Some(state)).respond(&issuer(), code()),
            );
            let encoded = match mode {
                ResponseMode::Query => url.query(),
                _ => url.fragment(),
            };
            let echoed: Vec<String> = pairs(encoded.unwrap_or_default())
                .into_iter()
                .filter(|(k, _)| k == "state")
                .map(|(_, v)| v)
                .collect();
            assert_eq!(echoed, [state], "{mode:?}");
        }
    }
}

#[test]
fn fragment_mode_leaves_the_query_alone() {
    let url = location(
        target(
            "https://app.example/cb?k=v",
            ResponseMode::Fragment,
            Some("s"),
        )
        .respond(&issuer(), code()),
    );
    assert_eq!(url.query(), Some("k=v"));
    assert_eq!(
        pairs(url.fragment().unwrap_or_default()),
        owned(&[
            ("code", "abc"),
            ("state", "s"),
            ("iss", "https://id.example.com")
        ])
    );
}

#[test]
fn form_post_carries_the_fields_to_the_redirect_uri() {
    let uri = "https://app.example/cb?k=v";
    let response = target(uri, ResponseMode::FormPost, Some("a b+~")).respond(&issuer(), code());
    assert_eq!(
        response,
        AuthorizationResponse::FormPost {
            action: uri.to_owned(),
            fields: owned(&[
                ("code", "abc"),
                ("state", "a b+~"),
                ("iss", "https://id.example.com")
            ]),
        }
    );
}

#[test]
fn error_responses_carry_error_description_state_and_iss_but_no_code() {
    let t = target("https://app.example/cb", ResponseMode::Query, Some("s1"));
    let error = AuthorizeError::redirect(&t, OAuthErrorCode::InvalidScope, "no \"allowed\"\nscope");
    let url = location(
        error
            .response(&issuer())
            .unwrap_or_else(|| panic!("no response")),
    );
    let fields = pairs(url.query().unwrap_or_default());
    assert_eq!(
        fields,
        owned(&[
            ("error", "invalid_scope"),
            ("error_description", "no  allowed  scope"),
            ("state", "s1"),
            ("iss", "https://id.example.com")
        ])
    );
    assert!(!fields.iter().any(|(k, _)| k == "code"));
}

#[test]
fn form_post_errors_are_posted() {
    let t = target("https://app.example/cb", ResponseMode::FormPost, None);
    let error = AuthorizeError::redirect(
        &t,
        OAuthErrorCode::InvalidRequest,
        "response_type is required",
    );
    assert_eq!(
        error.response(&issuer()),
        Some(AuthorizationResponse::FormPost {
            action: "https://app.example/cb".to_owned(),
            fields: owned(&[
                ("error", "invalid_request"),
                ("error_description", "response_type is required"),
                ("iss", "https://id.example.com")
            ]),
        })
    );
}

#[test]
fn page_errors_have_no_response() {
    let error = AuthorizeError::page(
        OAuthErrorCode::InvalidRequest,
        "redirect_uri is not registered",
    );
    assert_eq!(error.response(&issuer()), None);
}

#[test]
fn response_modes_parse_and_default_by_response_type() {
    for mode in ResponseMode::ALL {
        assert_eq!(mode.as_str().parse::<ResponseMode>().as_ref(), Ok(mode));
    }
    assert!("Query".parse::<ResponseMode>().is_err());
    assert_eq!(
        ResponseMode::default_for(ResponseType::Code),
        ResponseMode::Query
    );
    assert_eq!(
        ResponseMode::default_for(ResponseType::IdToken),
        ResponseMode::Fragment
    );
    assert_eq!(
        ResponseMode::default_for(ResponseType::CodeIdToken),
        ResponseMode::Fragment
    );
}

/// The query of a URL as written, without re-serialising it.
fn raw_query(location: &str) -> &str {
    location.split_once('?').map_or("", |(_, q)| q)
}
