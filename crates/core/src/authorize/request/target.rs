//! Step one of the authorization request (OIDC Core §3.1.2.6, RFC 6749 §4.1.2.1): establish whether and
//! where a response may go. Until this succeeds every error is a page, because the redirect URI is not
//! yet known to belong to the client (RFC 9700 §4.11, open redirectors).

use super::super::{AuthorizeError, RedirectTarget, ResponseMode};
use crate::client::{Client, ClientId, RedirectUri};
use crate::oauth_error::OAuthErrorCode;
use crate::params::Params;

/// The `client_id` of a request. Any problem here is shown as a page: there is no client to answer to.
pub fn client_id_of(params: &Params) -> Result<ClientId, AuthorizeError> {
    let raw = params
        .get("client_id")
        .map_err(|repeated| invalid_request_page(repeated.to_string()))?
        .ok_or_else(|| invalid_request_page("client_id is required".to_owned()))?;
    ClientId::parse(raw).map_err(|e| invalid_request_page(e.to_string()))
}

/// Where the responses to this request go: the client's redirect URI, response mode and `state`.
pub fn target_of(params: &Params, client: &Client) -> Result<RedirectTarget, AuthorizeError> {
    if client.metadata.disabled {
        return Err(AuthorizeError::page(
            OAuthErrorCode::UnauthorizedClient,
            "this client is disabled",
        ));
    }
    let redirect_uri = registered_redirect_uri(params, client)?;
    Ok(RedirectTarget {
        redirect_uri: redirect_uri.as_str().to_owned(),
        mode: response_mode_or_default(params),
        // A repeated state has no single value to echo; `validate` reports the repetition.
        state: params.get("state").ok().flatten().map(str::to_owned),
    })
}

/// OIDC Core §3.1.2.1 and RFC 9700 §4.1.3: exact string comparison with a registered URI, no
/// normalisation. Without `redirect_uri`, a client with exactly one registered URI gets that one
/// (RFC 6749 §3.1.2.3).
fn registered_redirect_uri<'c>(
    params: &Params,
    client: &'c Client,
) -> Result<&'c RedirectUri, AuthorizeError> {
    let registered = &client.metadata.redirect_uris;
    match params.get("redirect_uri") {
        Err(repeated) => Err(invalid_request_page(repeated.to_string())),
        Ok(Some(given)) => registered
            .iter()
            .find(|uri| uri.as_str() == given)
            .ok_or_else(|| {
                invalid_request_page("redirect_uri is not registered for this client".to_owned())
            }),
        Ok(None) => match registered.as_slice() {
            [only] => Ok(only),
            [] => Err(invalid_request_page(
                "this client has no registered redirect_uri".to_owned(),
            )),
            _ => Err(invalid_request_page(
                "redirect_uri is required: this client registered several".to_owned(),
            )),
        },
    }
}

/// The requested `response_mode`, or the default of the response type (Multiple Response Types §2.1).
/// An unknown or repeated mode falls back to the default so that `validate` can report it.
fn response_mode_or_default(params: &Params) -> ResponseMode {
    let requested = params
        .get("response_mode")
        .ok()
        .flatten()
        .and_then(|mode| mode.parse().ok());
    requested.unwrap_or_else(|| default_mode(params.get("response_type").ok().flatten()))
}

/// Judged on the words, so that an unsupported type that returns tokens (such as `token`) still gets its
/// error in the fragment, never in the query (Multiple Response Types §5).
fn default_mode(response_type: Option<&str>) -> ResponseMode {
    let returns_tokens = response_type
        .is_some_and(|words| words.split(' ').any(|w| w == "token" || w == "id_token"));
    if returns_tokens {
        ResponseMode::Fragment
    } else {
        ResponseMode::Query
    }
}

fn invalid_request_page(description: String) -> AuthorizeError {
    AuthorizeError::page(OAuthErrorCode::InvalidRequest, description)
}
