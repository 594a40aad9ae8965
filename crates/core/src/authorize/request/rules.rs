//! Step two of the authorization request: once the client and its redirect URI are genuine, every rule
//! below answers the client (OIDC Core §3.1.2.2 and §3.1.2.6, RFC 6749 §4.1.2.1). One function per rule;
//! `checked_request` applies them in a fixed order so the first problem found is the one reported.

use super::AuthorizationRequest;
use super::values::{
    allowed_scopes, check_nonce, check_state_length, parse_claims, parse_display, parse_max_age,
    parse_prompt, words,
};
use crate::authorize::{CodeChallenge, RedirectTarget, ResponseMode};
use crate::client::{Client, GrantType, RedirectUri, ResponseType};
use crate::oauth_error::OAuthErrorCode;
use crate::params::{Params, RepeatedParam};

/// The parameters of OIDC Core §3.1.2.1, §5.5 and §6, RFC 6749 §4.1.1, RFC 7636 §4.3 and Multiple
/// Response Types §2.1: each may appear at most once (RFC 6749 §3.1). Others are ignored.
const KNOWN_PARAMETERS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "login_hint",
    "id_token_hint",
    "ui_locales",
    "claims_locales",
    "acr_values",
    "display",
    "claims",
    "code_challenge",
    "code_challenge_method",
    "request",
    "request_uri",
    "registration",
];

/// Parameters Valet does not implement, each with the error OIDC Core §3.1.2.6 names for it.
const UNSUPPORTED_PARAMETERS: &[(&str, OAuthErrorCode, &str)] = &[
    (
        "request",
        OAuthErrorCode::RequestNotSupported,
        "request objects are not supported (OIDC Core §6.1)",
    ),
    (
        "request_uri",
        OAuthErrorCode::RequestUriNotSupported,
        "request_uri is not supported (OIDC Core §6.2)",
    ),
    (
        "registration",
        OAuthErrorCode::RegistrationNotSupported,
        "the registration parameter is not supported",
    ),
];

/// Why a rule refused the request; `validate` sends it to the client's redirect URI.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Rejection {
    pub code: OAuthErrorCode,
    pub description: String,
}

impl Rejection {
    pub(super) fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    pub(super) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }
}

impl From<RepeatedParam> for Rejection {
    fn from(repeated: RepeatedParam) -> Self {
        Self::invalid_request(repeated.to_string())
    }
}

pub(super) type Rule<T> = Result<T, Rejection>;

pub(super) fn checked_request(
    params: &Params,
    client: &Client,
    redirect_uri: RedirectUri,
    target: &RedirectTarget,
) -> Rule<AuthorizationRequest> {
    reject_repeated_parameters(params)?;
    let get = |name: &str| params.get(name).map_err(Rejection::from);
    check_response_mode(get("response_mode")?)?;
    reject_unsupported_parameters(params)?;
    let response_type = parse_response_type(get("response_type")?)?;
    check_client_may_use(client, response_type)?;
    check_mode_fits_response_type(response_type, target.mode)?;
    let scopes = allowed_scopes(get("scope")?, client)?;
    let prompt = parse_prompt(get("prompt")?)?;
    let max_age = parse_max_age(get("max_age")?)?;
    let nonce = check_nonce(get("nonce")?)?;
    check_state_length(target.state.as_deref())?;
    let login_hint = get("login_hint")?.map(str::to_owned);
    let id_token_hint = get("id_token_hint")?.map(str::to_owned);
    let ui_locales = words(get("ui_locales")?);
    let claims_locales = words(get("claims_locales")?);
    let acr_values = words(get("acr_values")?);
    let display = parse_display(get("display")?)?;
    let claims = parse_claims(get("claims")?)?;
    let code_challenge = check_pkce(
        get("code_challenge")?,
        get("code_challenge_method")?,
        client,
    )?;
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri,
        redirect_uri_given: get("redirect_uri")?.is_some(),
        response_type,
        target: target.clone(),
        scopes,
        nonce,
        prompt,
        max_age,
        login_hint,
        id_token_hint,
        ui_locales,
        claims_locales,
        acr_values,
        display,
        claims,
        code_challenge,
    })
}

pub(super) fn reject_repeated_parameters(params: &Params) -> Rule<()> {
    params
        .first_repeated(KNOWN_PARAMETERS)
        .map_or(Ok(()), |repeated| Err(repeated.into()))
}

/// `target_of` already fell back to the default mode, so the error reaches the client.
pub(super) fn check_response_mode(raw: Option<&str>) -> Rule<()> {
    match raw.map(str::parse::<ResponseMode>) {
        Some(Err(_)) => Err(Rejection::invalid_request(
            "response_mode must be query, fragment or form_post",
        )),
        _ => Ok(()),
    }
}

pub(super) fn reject_unsupported_parameters(params: &Params) -> Rule<()> {
    for (name, code, description) in UNSUPPORTED_PARAMETERS {
        if params.get(name)?.is_some() {
            return Err(Rejection::new(*code, *description));
        }
    }
    Ok(())
}

/// Only the authorization code flow is implemented; other response types are refused as unsupported.
pub(super) fn parse_response_type(raw: Option<&str>) -> Rule<ResponseType> {
    let raw = raw.ok_or_else(|| Rejection::invalid_request("response_type is required"))?;
    match ResponseType::parse_words(raw) {
        Ok(ResponseType::Code) => Ok(ResponseType::Code),
        Ok(_) => Err(Rejection::new(
            OAuthErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        )),
        Err(_) => Err(Rejection::new(
            OAuthErrorCode::UnsupportedResponseType,
            "unknown response_type",
        )),
    }
}

/// RFC 6749 §4.1.2.1 `unauthorized_client`: the response type, and the code grant behind `code`, must
/// be registered for the client (OIDC Registration §2).
pub(super) fn check_client_may_use(client: &Client, response_type: ResponseType) -> Rule<()> {
    let registered = client.metadata.response_types.contains(&response_type);
    let needs_code_grant = response_type.as_str().split(' ').any(|w| w == "code");
    let has_code_grant = client
        .metadata
        .grant_types
        .contains(&GrantType::AuthorizationCode);
    if registered && (has_code_grant || !needs_code_grant) {
        Ok(())
    } else {
        Err(Rejection::new(
            OAuthErrorCode::UnauthorizedClient,
            format!(
                "this client may not use response_type={}",
                response_type.as_str()
            ),
        ))
    }
}

/// Multiple Response Types §5: tokens must never travel in a query string.
pub(super) fn check_mode_fits_response_type(
    response_type: ResponseType,
    mode: ResponseMode,
) -> Rule<()> {
    let returns_tokens = !matches!(response_type, ResponseType::Code | ResponseType::None);
    if mode == ResponseMode::Query && returns_tokens {
        Err(Rejection::invalid_request(
            "response_mode=query is not allowed for a response_type that returns tokens",
        ))
    } else {
        Ok(())
    }
}

/// RFC 7636 §4.3 and §4.4.1; RFC 9700 §2.1.1 requires PKCE of public clients, and clients may opt in.
pub(super) fn check_pkce(
    challenge: Option<&str>,
    method: Option<&str>,
    client: &Client,
) -> Rule<Option<CodeChallenge>> {
    match challenge {
        Some(challenge) => CodeChallenge::parse(challenge, method)
            .map(Some)
            .map_err(|e| Rejection::invalid_request(e.to_string())),
        None if method.is_some() => Err(Rejection::invalid_request(
            "code_challenge_method was sent without code_challenge",
        )),
        None if client.is_public() || client.metadata.require_pkce => Err(
            Rejection::invalid_request("code_challenge is required (PKCE, RFC 7636)"),
        ),
        None => Ok(None),
    }
}
