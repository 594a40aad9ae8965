//! `client_id_of` and `target_of`: errors here are pages, never redirects.

use super::*;

// client_id_of

#[test]
fn client_id_is_required_exactly_once_and_well_formed_else_a_page() {
    assert_eq!(
        client_id_of(&params("client_id=rp")).map(|c| c.as_str().to_owned()),
        Ok("rp".to_owned())
    );
    for query in [
        "",
        "client_id=",
        "client_id=a&client_id=b",
        "client_id=a%20b",
    ] {
        let error = client_id_of(&params(query)).err();
        assert!(
            matches!(
                error,
                Some(AuthorizeError {
                    code: InvalidRequest,
                    target: None,
                    ..
                })
            ),
            "{query}: {error:?}"
        );
    }
}

// target_of

#[test]
fn disabled_clients_get_an_unauthorized_client_page() {
    assert_eq!(
        page_error(&with(|m| m.disabled = true), BASE),
        UnauthorizedClient
    );
}

#[test]
fn redirect_uri_must_equal_a_registered_one_byte_for_byte() {
    assert_eq!(target(BASE).redirect_uri, CB);
    let with_query = target("redirect_uri=https%3A%2F%2Frp.example%2Fcb%3Ftenant%3Da");
    assert_eq!(with_query.redirect_uri, CB_WITH_QUERY);
    for near_miss in [
        "https://rp.example/cb/",
        "https://RP.example/cb",
        "https://rp.example:443/cb",
        "https://rp.example/%63b",
        "https://rp.example/cb?tenant=b",
        "https://rp.example/cb?tenant=a&x=1",
        "https://rp.example/cb/AbCdEfGhIj",
        "http://rp.example/cb",
    ] {
        let query = format!(
            "redirect_uri={}",
            near_miss
                .replace('%', "%25")
                .replace('&', "%26")
                .replace('?', "%3F")
        );
        assert_eq!(page_error(&client(), &query), InvalidRequest, "{near_miss}");
    }
}

#[test]
fn without_redirect_uri_the_only_registered_one_is_used() {
    let single = with(|m| m.redirect_uris = vec![uri(CB_WITH_QUERY)]);
    let query = "client_id=rp&response_type=code&scope=openid";
    let request = authorize(&single, query).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(request.redirect_uri.as_str(), CB_WITH_QUERY);
    assert_eq!(request.target.redirect_uri, CB_WITH_QUERY);
    assert!(!request.redirect_uri_given);
    assert!(accepted("").redirect_uri_given);
}

#[test]
fn without_redirect_uri_several_or_none_registered_is_a_page_error() {
    assert_eq!(page_error(&client(), "response_type=code"), InvalidRequest);
    assert_eq!(
        page_error(&with(|m| m.redirect_uris.clear()), "response_type=code"),
        InvalidRequest
    );
}

#[test]
fn repeated_redirect_uri_is_a_page_error() {
    let query = format!("{BASE}&redirect_uri=https%3A%2F%2Frp.example%2Fcb");
    assert_eq!(page_error(&client(), &query), InvalidRequest);
}

#[test]
fn response_mode_is_parsed_when_known() {
    for (mode, expected) in [
        ("query", ResponseMode::Query),
        ("fragment", ResponseMode::Fragment),
        ("form_post", ResponseMode::FormPost),
    ] {
        assert_eq!(
            target(&format!("{BASE}&response_mode={mode}")).mode,
            expected
        );
    }
}

#[test]
fn response_mode_defaults_to_query_for_code_and_fragment_when_tokens_return() {
    let mode = |response_type: &str| {
        target(&format!("redirect_uri={CB}&response_type={response_type}")).mode
    };
    assert_eq!(mode("code"), ResponseMode::Query);
    assert_eq!(mode(""), ResponseMode::Query);
    assert_eq!(mode("id_token"), ResponseMode::Fragment);
    assert_eq!(mode("code%20id_token"), ResponseMode::Fragment);
    assert_eq!(mode("token"), ResponseMode::Fragment);
    // A repeated response_type has no value to judge by.
    assert_eq!(
        target(&format!("{BASE}&response_type=token")).mode,
        ResponseMode::Query
    );
}

#[test]
fn unknown_or_repeated_response_mode_uses_the_default_and_validate_reports_it() {
    for extra in [
        "response_mode=jwt",
        "response_mode=query&response_mode=fragment",
    ] {
        let query = format!("{BASE}&{extra}");
        assert_eq!(target(&query).mode, ResponseMode::Query, "{extra}");
        assert_eq!(
            redirected_error(&client(), &query).0,
            InvalidRequest,
            "{extra}"
        );
    }
}

#[test]
fn state_is_copied_byte_exact() {
    let t = target(&format!(
        "redirect_uri={CB}&state=a%20b%2Bc~-._%25%26%C3%A9"
    ));
    assert_eq!(t.state.as_deref(), Some("a b+c~-._%&é"));
    assert_eq!(target(&format!("redirect_uri={CB}")).state, None);
}

#[test]
fn repeated_state_is_not_echoed_and_validate_reports_it() {
    let query = format!("{BASE}&state=s2");
    assert_eq!(target(&query).state, None);
    assert_eq!(redirected_error(&client(), &query).0, InvalidRequest);
}
