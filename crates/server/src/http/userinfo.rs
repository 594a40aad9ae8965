//! `GET|POST /userinfo` (OIDC Core §5.3): the bearer token comes in the `Authorization` header or, for
//! POST, the form body (RFC 6750 §2.1, §2.2) — never both. Claims are JSON, or a signed JWT when the
//! client registered `userinfo_signed_response_alg`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde_json::Value;
use valet_core::params::Params;
use valet_core::userinfo::{UserinfoError, userinfo as check};

use crate::state::AppState;

fn challenge(status: StatusCode, error: Option<(&str, &str)>) -> HttpResponse {
    let value = match error {
        Some((code, description)) => format!(
            "Bearer realm=\"valet\", error=\"{code}\", error_description=\"{}\"",
            valet_core::oauth_error::safe_description(description).replace('"', "'")
        ),
        None => "Bearer realm=\"valet\"".to_owned(),
    };
    HttpResponse::build(status)
        .insert_header((header::WWW_AUTHENTICATE, value))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Both places carried a token (RFC 6750 §2: clients must not use more than one method).
struct TwoTokens;

/// The bearer token, from exactly one place.
fn bearer(req: &HttpRequest, body: &[u8]) -> Result<Option<String>, TwoTokens> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        });
    let form = req
        .content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded");
    let in_body = match std::str::from_utf8(body) {
        Ok(text) if form && req.method() == actix_web::http::Method::POST => {
            Params::parse_urlencoded(text)
                .get("access_token")
                .map_err(|_| TwoTokens)?
                .map(str::to_owned)
        }
        _ => None,
    };
    match (header, in_body) {
        (Some(_), Some(_)) => Err(TwoTokens),
        (token, None) | (None, token) => Ok(token),
    }
}

fn bad_request() -> HttpResponse {
    challenge(
        StatusCode::BAD_REQUEST,
        Some((
            "invalid_request",
            "send the access token once: in the Authorization header or the form body",
        )),
    )
}

pub async fn userinfo(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let token = match bearer(&req, &body) {
        Ok(Some(token)) => token,
        Ok(None) => return challenge(StatusCode::UNAUTHORIZED, None),
        Err(TwoTokens) => return bad_request(),
    };
    let published = state.published();
    let now = state.clock.now();
    let info = match check(
        &token,
        &state.config.issuer,
        &published.ring,
        &state.db,
        now,
    )
    .await
    {
        Ok(info) => info,
        Err(UserinfoError::Store(e)) => {
            tracing::error!(error = %e, "userinfo: storage failure");
            return HttpResponse::ServiceUnavailable().finish();
        }
        Err(e @ UserinfoError::InsufficientScope) => {
            return challenge(
                StatusCode::FORBIDDEN,
                Some((e.code().as_str(), &e.to_string())),
            );
        }
        Err(e) => {
            return challenge(
                StatusCode::UNAUTHORIZED,
                Some((e.code().as_str(), &e.to_string())),
            );
        }
    };
    let headers = |mut builder: actix_web::HttpResponseBuilder| {
        builder
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
        builder
    };
    match info.client.metadata.userinfo_signed_response_alg {
        None => headers(HttpResponse::Ok()).json(Value::Object(info.claims)),
        Some(alg) => {
            // OIDC Core §5.3.2: a signed response carries iss and aud.
            let mut claims = info.claims;
            claims.insert(
                "iss".into(),
                Value::String(state.config.issuer.as_str().to_owned()),
            );
            claims.insert(
                "aud".into(),
                Value::String(info.client.client_id.as_str().to_owned()),
            );
            let payload = serde_json::to_vec(&claims).unwrap_or_default();
            match published.ring.sign(alg, "JWT", &payload) {
                Ok(jwt) => headers(HttpResponse::Ok())
                    .content_type("application/jwt")
                    .body(jwt),
                Err(e) => {
                    tracing::error!(error = %e, "userinfo: cannot sign");
                    HttpResponse::InternalServerError().finish()
                }
            }
        }
    }
}
