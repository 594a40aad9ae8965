//! GET /callback: the authorization response (OIDC Core §3.1.2.5, §3.1.2.6). Checks `state` and
//! `iss` (RFC 9207 §2.4, which the crate leaves to the relying party), redeems the code with
//! client_secret_basic and the PKCE verifier (§3.1.3.1), validates the ID token with the crate's
//! verifier against the provider's JWKS (§3.1.3.7: signature, iss, aud, exp, nonce) and its
//! `at_hash` (§3.1.3.8), then calls userinfo (§5.3), whose `sub` must be the ID token's.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreIdToken, CoreTokenResponse, CoreUserInfoClaims};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, OAuth2TokenResponse, RequestTokenError, TokenResponse,
};
use serde_json::{Map, Value};

use crate::events::Event;
use crate::page::{self, escape};
use crate::relying_party::{Client, Pending, RelyingParty, Session, error_chain};

#[derive(Debug, thiserror::Error)]
enum CallbackError {
    #[error("Unknown or reused state.")]
    UnknownState,
    #[error("Wrong iss: {0}")]
    WrongIss(String),
    #[error("token: {0}")]
    Token(String),
    #[error("id_token: {0}")]
    IdToken(String),
    #[error("userinfo: {0}")]
    UserInfo(String),
}

impl CallbackError {
    fn page(&self) -> HttpResponse {
        let text = escape(&self.to_string());
        match self {
            Self::UnknownState | Self::WrongIss(_) => page::render(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                &format!("<p>{text}</p>"),
            ),
            Self::Token(_) | Self::IdToken(_) | Self::UserInfo(_) => page::render(
                StatusCode::BAD_GATEWAY,
                "Sign-in failed",
                &format!("<pre>{text}</pre>"),
            ),
        }
    }
}

/// How a sign-in that got this far ends.
enum Outcome {
    SignedIn(Box<CoreUserInfoClaims>),
    /// The provider's error response (`error`, `error_description`).
    Refused(String, String),
}

pub async fn callback(rp: web::Data<RelyingParty>, req: HttpRequest) -> HttpResponse {
    let query: Map<String, Value> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(name, value)| (name.into_owned(), Value::from(value.into_owned())))
        .collect();
    rp.events
        .emit(Event::Callback {
            query: query.clone(),
        })
        .await;
    match finish(&rp, &query).await {
        Ok(Outcome::SignedIn(info)) => signed_in(&info),
        Ok(Outcome::Refused(error, description)) => page::render(
            StatusCode::OK,
            "Sign-in failed",
            &format!(
                "<p id=\"error\">error={}</p><p id=\"error-description\">{}</p>",
                escape(&error),
                escape(&description)
            ),
        ),
        Err(err) => err.page(),
    }
}

async fn finish(rp: &RelyingParty, query: &Map<String, Value>) -> Result<Outcome, CallbackError> {
    let param = |name: &str| query.get(name).and_then(Value::as_str);
    let pending = rp
        .take(param("state").unwrap_or_default())
        .ok_or(CallbackError::UnknownState)?;
    check_iss(&pending, param("iss"))?;
    if let Some(error) = param("error") {
        let description = param("error_description").unwrap_or_default();
        return Ok(Outcome::Refused(error.to_owned(), description.to_owned()));
    }
    let code = param("code").ok_or_else(|| CallbackError::Token("no code".to_owned()))?;
    let client = rp.client(pending.metadata.clone());
    let tokens = redeem(rp, &client, code, pending.verifier).await?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| CallbackError::IdToken("none".to_owned()))?;
    let info = verify_and_ask_userinfo(rp, &client, &tokens, id_token, &pending.nonce).await?;
    rp.events
        .emit(Event::SignIn {
            id_token: id_token.to_string(),
            id_claims: payload(id_token).map_err(CallbackError::IdToken)?,
            userinfo: serde_json::to_value(&info)
                .map_err(|e| CallbackError::UserInfo(e.to_string()))?,
            tokens: serde_json::to_value(&tokens)
                .map_err(|e| CallbackError::Token(e.to_string()))?,
        })
        .await;
    if let Some(refresh_token) = tokens.refresh_token() {
        rp.keep(Session {
            metadata: pending.metadata,
            refresh_token: refresh_token.clone(),
        });
    }
    Ok(Outcome::SignedIn(Box::new(info)))
}

/// RFC 9207 §2.4: the response names the issuer the request went to.
fn check_iss(pending: &Pending, iss: Option<&str>) -> Result<(), CallbackError> {
    match iss {
        Some(iss) if iss == pending.metadata.issuer().as_str() => Ok(()),
        other => Err(CallbackError::WrongIss(
            other.unwrap_or("(none)").to_owned(),
        )),
    }
}

async fn redeem(
    rp: &RelyingParty,
    client: &Client,
    code: &str,
    verifier: openidconnect::PkceCodeVerifier,
) -> Result<CoreTokenResponse, CallbackError> {
    let request = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| CallbackError::Token(error_chain(&e)))?
        .set_pkce_verifier(verifier);
    request
        .request_async(&rp.http)
        .await
        .map_err(|err| match err {
            RequestTokenError::ServerResponse(answer) => CallbackError::Token(
                serde_json::to_string(&answer).unwrap_or_else(|_| answer.to_string()),
            ),
            other => CallbackError::Token(error_chain(&other)),
        })
}

async fn verify_and_ask_userinfo(
    rp: &RelyingParty,
    client: &Client,
    tokens: &CoreTokenResponse,
    id_token: &CoreIdToken,
    nonce: &openidconnect::Nonce,
) -> Result<CoreUserInfoClaims, CallbackError> {
    let id_error = |e: &dyn std::error::Error| CallbackError::IdToken(error_chain(e));
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, nonce)
        .map_err(|e| id_error(&e))?;
    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token.signing_alg().map_err(|e| id_error(&e))?;
        let key = id_token.signing_key(&verifier).map_err(|e| id_error(&e))?;
        let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
            .map_err(|e| id_error(&e))?;
        if &actual != expected {
            return Err(CallbackError::IdToken(
                "at_hash does not match the access token".to_owned(),
            ));
        }
    }
    let user_error = |e: &dyn std::error::Error| CallbackError::UserInfo(error_chain(e));
    client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .map_err(|e| user_error(&e))?
        .request_async(&rp.http)
        .await
        .map_err(|e| user_error(&e))
}

/// The claims of an ID token the verifier accepted, all of them (the crate's typed view drops
/// those it does not know, such as `sid`).
fn payload(id_token: &CoreIdToken) -> Result<Value, String> {
    let jws = id_token.to_string();
    let part = jws.split('.').nth(1).ok_or("not a compact JWS")?;
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

fn signed_in(info: &CoreUserInfoClaims) -> HttpResponse {
    let name = info
        .name()
        .and_then(|n| n.get(None))
        .map_or("(no name)", |n| n.as_str());
    let email = info.email().map_or("(no email)", |e| e.as_str());
    page::render(
        StatusCode::OK,
        "Signed in",
        &format!(
            "<p id=\"who\">Signed in as {} ({})</p><p>sub: <code>{}</code></p>",
            escape(name),
            escape(email),
            escape(info.subject().as_str())
        ),
    )
}
