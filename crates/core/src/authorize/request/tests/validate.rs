//! `validate`: every other rule, in the order the request is checked.

use super::*;

// validate

#[test]
fn a_conformance_code_request_becomes_typed_values() {
    let request = accepted(&format!(
        "prompt=login&max_age=15000&display=popup&login_hint=buffy%40rp.example&id_token_hint=eyJ.x.y\
         &ui_locales=se%20en&claims_locales=se&acr_values=1%202\
         &code_challenge={CHALLENGE}&code_challenge_method=S256&extra=foobar"
    ));
    assert_eq!(request.client_id.as_str(), "rp");
    assert_eq!(request.redirect_uri.as_str(), CB);
    assert_eq!(request.response_type, ResponseType::Code);
    assert_eq!(
        request.target,
        RedirectTarget {
            redirect_uri: CB.to_owned(),
            mode: ResponseMode::Query,
            state: Some("s1".to_owned())
        }
    );
    assert_eq!(request.scopes, ["openid"]);
    assert!(request.is_openid());
    assert_eq!(request.nonce.as_deref(), Some("n1"));
    assert_eq!(request.prompt, [Prompt::Login]);
    assert!(request.has_prompt(Prompt::Login));
    assert_eq!(request.max_age, Some(Duration::seconds(15000)));
    assert_eq!(request.display, Some(Display::Popup));
    assert_eq!(request.login_hint.as_deref(), Some("buffy@rp.example"));
    assert_eq!(request.id_token_hint.as_deref(), Some("eyJ.x.y"));
    assert_eq!(request.ui_locales, ["se", "en"]);
    assert_eq!(request.claims_locales, ["se"]);
    assert_eq!(request.acr_values, ["1", "2"]);
    assert_eq!(request.claims, None);
    assert_eq!(
        request.code_challenge.as_ref().map(|c| c.as_str()),
        Some(CHALLENGE)
    );
}

#[test]
fn a_request_without_nonce_is_accepted_for_the_code_flow() {
    let request = authorize(
        &client(),
        "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid",
    );
    assert_eq!(request.map(|r| r.nonce), Ok(None));
}

#[test]
fn repeated_known_parameters_are_invalid_request() {
    for name in [
        "scope",
        "nonce",
        "response_type",
        "prompt",
        "max_age",
        "code_challenge",
        "claims",
    ] {
        let (code, description) = redirected_error(&client(), &format!("{BASE}&{name}=a&{name}=b"));
        assert_eq!(code, InvalidRequest, "{name}");
        assert!(description.contains(name), "{description}");
    }
}

#[test]
fn unknown_parameters_are_ignored_even_when_repeated() {
    accepted("extra=foobar&extra=again&foo=");
}

#[test]
fn repetition_is_reported_before_anything_else() {
    assert_eq!(rejected("request=x&scope=email"), InvalidRequest);
}

#[test]
fn request_request_uri_and_registration_are_not_supported() {
    assert_eq!(
        rejected("request=eyJhbGciOiJub25lIn0.e30."),
        RequestNotSupported
    );
    assert_eq!(
        rejected("request_uri=https%3A%2F%2Frp.example%2Fr"),
        RequestUriNotSupported
    );
    assert_eq!(rejected("registration=%7B%7D"), RegistrationNotSupported);
}

#[test]
fn response_type_is_required() {
    let query = "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&scope=openid&state=s1";
    assert_eq!(
        redirected_error(&client(), query),
        (InvalidRequest, "response_type is required".to_owned())
    );
}

#[test]
fn a_missing_response_type_in_form_post_mode_is_posted_with_state() {
    let query = "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&scope=openid&state=s1&response_mode=form_post";
    let error = authorize(&client(), query).err();
    let target = error.and_then(|e| e.target);
    assert_eq!(
        target.map(|t| (t.mode, t.state)),
        Some((ResponseMode::FormPost, Some("s1".to_owned())))
    );
}

#[test]
fn only_code_is_implemented_other_response_types_are_unsupported() {
    let all = with(|m| m.response_types = ResponseType::ALL.to_vec());
    for response_type in [
        "id_token",
        "id_token%20token",
        "code%20id_token",
        "token%20code",
        "none",
        "token",
        "code%20code",
        "foo",
    ] {
        let query =
            format!("client_id=rp&redirect_uri={CB}&scope=openid&response_type={response_type}");
        assert_eq!(
            redirected_error(&all, &query).0,
            UnsupportedResponseType,
            "{response_type}"
        );
    }
}

#[test]
fn clients_without_code_or_its_grant_are_unauthorized() {
    let no_code = with(|m| m.response_types = vec![ResponseType::IdToken]);
    assert_eq!(redirected_error(&no_code, BASE).0, UnauthorizedClient);
    let no_grant = with(|m| m.grant_types = vec![GrantType::ClientCredentials]);
    assert_eq!(redirected_error(&no_grant, BASE).0, UnauthorizedClient);
}

#[test]
fn query_mode_is_refused_for_response_types_that_return_tokens() {
    assert!(check_mode_fits_response_type(ResponseType::Code, ResponseMode::Query).is_ok());
    assert!(check_mode_fits_response_type(ResponseType::None, ResponseMode::Query).is_ok());
    for response_type in [
        ResponseType::IdToken,
        ResponseType::CodeIdToken,
        ResponseType::CodeToken,
    ] {
        let refusal = check_mode_fits_response_type(response_type, ResponseMode::Query).err();
        assert_eq!(
            refusal.map(|r| r.code),
            Some(InvalidRequest),
            "{response_type}"
        );
        assert!(check_mode_fits_response_type(response_type, ResponseMode::Fragment).is_ok());
        assert!(check_mode_fits_response_type(response_type, ResponseMode::FormPost).is_ok());
    }
}

#[test]
fn scope_is_required() {
    let query = "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code";
    assert_eq!(
        redirected_error(&client(), query),
        (InvalidRequest, "scope is required".to_owned())
    );
}

#[test]
fn scopes_keep_request_order_without_duplicates_or_unallowed_values() {
    let query = "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code\
                 &scope=email%20openid%20%20admin%20email%20phone";
    let request = authorize(&client(), query).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(request.scopes, ["email", "openid"]);
}

#[test]
fn a_request_left_without_allowed_scopes_is_invalid_scope() {
    let query = "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=admin%20phone";
    assert_eq!(redirected_error(&client(), query).0, InvalidScope);
}

#[test]
fn prompt_values_are_parsed_and_unknown_ones_ignored() {
    assert_eq!(
        accepted("prompt=consent%20login%20create%20consent").prompt,
        [Prompt::Login, Prompt::Consent]
    );
    assert_eq!(
        accepted("prompt=select_account").prompt,
        [Prompt::SelectAccount]
    );
    assert_eq!(accepted("prompt=none").prompt, [Prompt::None]);
    assert_eq!(accepted("").prompt, []);
}

#[test]
fn prompt_none_must_stand_alone() {
    assert_eq!(rejected("prompt=none%20login"), InvalidRequest);
    assert_eq!(rejected("prompt=login%20none"), InvalidRequest);
    assert_eq!(rejected("prompt=none%20create"), InvalidRequest);
    assert_eq!(accepted("prompt=none%20none").prompt, [Prompt::None]);
}

#[test]
fn max_age_is_a_non_negative_integer_of_seconds() {
    assert_eq!(accepted("max_age=0").max_age, Some(Duration::zero()));
    assert_eq!(accepted("max_age=1").max_age, Some(Duration::seconds(1)));
    assert_eq!(accepted("").max_age, None);
    for bad in ["-1", "1.5", "%2B5", "1e3", "abc", "%201"] {
        assert_eq!(rejected(&format!("max_age={bad}")), InvalidRequest, "{bad}");
    }
}

#[test]
fn a_huge_max_age_is_capped_so_callers_cannot_overflow() {
    let capped = accepted("max_age=99999999999999999999999").max_age;
    assert!(
        capped.is_some_and(|d| d >= Duration::days(365 * 100) && d < Duration::days(365 * 101))
    );
}

#[test]
fn nonce_is_at_most_512_characters() {
    let longest = "é".repeat(512);
    let encoded = "%C3%A9".repeat(512);
    let query =
        format!("client_id=rp&redirect_uri={CB}&response_type=code&scope=openid&nonce={encoded}");
    assert_eq!(
        authorize(&client(), &query).map(|r| r.nonce),
        Ok(Some(longest))
    );
    assert_eq!(
        redirected_error(&client(), &format!("{query}a")).0,
        InvalidRequest
    );
}

#[test]
fn state_is_at_most_2048_characters_and_still_echoed() {
    let query = |n: usize| {
        format!(
            "client_id=rp&redirect_uri={CB}&response_type=code&scope=openid&state={}",
            "s".repeat(n)
        )
    };
    assert!(authorize(&client(), &query(2048)).is_ok());
    let error = authorize(&client(), &query(2049)).err();
    assert_eq!(error.as_ref().map(|e| e.code), Some(InvalidRequest));
    assert_eq!(
        error
            .and_then(|e| e.target)
            .and_then(|t| t.state)
            .map(|s| s.len()),
        Some(2049)
    );
}

#[test]
fn display_is_page_popup_touch_or_wap() {
    for (text, display) in [
        ("page", Display::Page),
        ("popup", Display::Popup),
        ("touch", Display::Touch),
        ("wap", Display::Wap),
    ] {
        assert_eq!(accepted(&format!("display={text}")).display, Some(display));
    }
    assert_eq!(rejected("display=fullscreen"), InvalidRequest);
}

#[test]
fn claims_are_parsed_per_oidc_core_5_5() {
    let claims =
        accepted("claims=%7B%22userinfo%22%3A%7B%22name%22%3A%7B%22essential%22%3Atrue%7D%7D%7D")
            .claims;
    let names: Option<Vec<String>> =
        claims.map(|c| c.userinfo_names().map(str::to_owned).collect());
    assert_eq!(names, Some(vec!["name".to_owned()]));
    assert_eq!(rejected("claims=%7B%22userinfo%22%3A1%7D"), InvalidRequest);
    assert_eq!(rejected("claims=not-json"), InvalidRequest);
}

#[test]
fn pkce_accepts_only_s256() {
    let (code, description) =
        redirected_error(&client(), &format!("{BASE}&code_challenge={CHALLENGE}"));
    assert_eq!(code, InvalidRequest);
    assert!(
        description.contains("only S256 is supported"),
        "{description}"
    );
    assert_eq!(
        rejected(&format!(
            "code_challenge={CHALLENGE}&code_challenge_method=plain"
        )),
        InvalidRequest
    );
}

#[test]
fn pkce_challenges_must_be_43_base64url_characters() {
    for bad in [
        &CHALLENGE[..42],
        &format!("{CHALLENGE}x"),
        &"a".repeat(128),
        &format!("{}~", &CHALLENGE[..42]),
    ] {
        assert_eq!(
            rejected(&format!("code_challenge={bad}&code_challenge_method=S256")),
            InvalidRequest,
            "{bad}"
        );
    }
}

#[test]
fn public_and_require_pkce_clients_must_send_a_code_challenge() {
    let public = with(|m| m.token_endpoint_auth_method = TokenEndpointAuthMethod::None);
    let strict = with(|m| m.require_pkce = true);
    for client in [&public, &strict] {
        let (code, description) = redirected_error(client, BASE);
        assert_eq!(code, InvalidRequest);
        assert_eq!(description, "code_challenge is required (PKCE, RFC 7636)");
        let query = format!("{BASE}&code_challenge={CHALLENGE}&code_challenge_method=S256");
        assert!(authorize(client, &query).is_ok());
    }
    assert_eq!(accepted("").code_challenge, None);
}

#[test]
fn a_code_challenge_method_without_a_challenge_is_invalid_request() {
    assert_eq!(rejected("code_challenge_method=S256"), InvalidRequest);
}

#[test]
fn validate_never_redirects_to_an_unregistered_uri() {
    let forged = RedirectTarget {
        redirect_uri: "https://evil.example/cb".to_owned(),
        mode: ResponseMode::Query,
        state: None,
    };
    let error = validate(&params(BASE), &client(), forged).err();
    assert!(
        matches!(error, Some(AuthorizeError { target: None, .. })),
        "{error:?}"
    );
}

#[test]
fn vocabularies_round_trip() {
    for prompt in Prompt::ALL {
        assert_eq!(prompt.as_str().parse::<Prompt>().as_ref(), Ok(prompt));
    }
    for display in Display::ALL {
        assert_eq!(display.as_str().parse::<Display>().as_ref(), Ok(display));
    }
}
