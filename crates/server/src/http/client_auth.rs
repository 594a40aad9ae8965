//! Client authentication's HTTP glue for the token endpoint: the credentials a request carries, and
//! the error response (RFC 6749 §5.2). The rules live in `valet_core::client_auth`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;
use valet_core::client_auth::{ClientAuthError, PresentedCredentials};
use valet_core::oauth_error::OAuthErrorCode;
use valet_core::params::Params;

/// The `Authorization` header and the form body's credential parameters, uninterpreted. Fails only
/// on a malformed request: a repeated parameter or header, or a header that is not visible ASCII.
pub fn presented_credentials(
    req: &HttpRequest,
    form: &Params,
) -> Result<PresentedCredentials, ClientAuthError> {
    let mut headers = req.headers().get_all(header::AUTHORIZATION);
    let first = headers.next();
    if headers.next().is_some() {
        return Err(ClientAuthError::invalid_request(
            "the Authorization header is sent more than once",
        ));
    }
    let authorization = first
        .map(|value| value.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| {
            ClientAuthError::invalid_request("the Authorization header is not visible ASCII")
        })?;
    PresentedCredentials::from_form(authorization, form)
}

/// `{"error", "error_description"}`, never cached. `invalid_client` is a 401 with a Basic challenge
/// when the client tried the `Authorization` header, else a 400 (RFC 6749 §5.2).
pub fn client_auth_error_response(err: &ClientAuthError) -> HttpResponse {
    if let Some(cause) = &err.cause {
        tracing::error!(error = %cause, "client authentication failed on the server side");
    }
    let status = match err.code {
        OAuthErrorCode::InvalidClient if err.via_authorization_header => StatusCode::UNAUTHORIZED,
        OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        OAuthErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, "1"));
    }
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="valet""#));
    }
    response.json(json!({
        "error": err.code.as_str(),
        "error_description": err.description,
    }))
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;
    use actix_web::test::TestRequest;
    use serde_json::Value;

    use super::*;

    fn form(body: &str) -> Params {
        Params::parse_urlencoded(body)
    }

    #[test]
    fn credentials_come_from_the_header_and_the_form_body() {
        let req = TestRequest::default()
            .insert_header((header::AUTHORIZATION, "Basic YXBwOnM="))
            .to_http_request();
        let creds = presented_credentials(&req, &form("grant_type=x&client_id=app"));
        assert_eq!(
            creds,
            Ok(PresentedCredentials {
                authorization_header: Some("Basic YXBwOnM=".into()),
                client_id: Some("app".into()),
                ..Default::default()
            })
        );
        let req = TestRequest::default().to_http_request();
        let body = "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c";
        let creds = presented_credentials(&req, &form(body));
        assert_eq!(
            creds.map(|c| (c.client_assertion_type, c.client_assertion)),
            Ok((
                Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into()),
                Some("a.b.c".into())
            ))
        );
    }

    #[test]
    fn repeated_credentials_are_invalid_requests() {
        let req = TestRequest::default()
            .append_header((header::AUTHORIZATION, "Basic YXBwOnM="))
            .append_header((header::AUTHORIZATION, "Basic b3RoZXI6cw=="))
            .to_http_request();
        let err = presented_credentials(&req, &form("")).err();
        assert_eq!(err.map(|e| e.code), Some(OAuthErrorCode::InvalidRequest));
        let req = TestRequest::default().to_http_request();
        let err = presented_credentials(&req, &form("client_id=a&client_id=b")).err();
        assert_eq!(err.map(|e| e.code), Some(OAuthErrorCode::InvalidRequest));
    }

    async fn render(err: ClientAuthError) -> (StatusCode, Option<String>, Option<String>, Value) {
        let response = client_auth_error_response(&err);
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (challenge, cache) = (
            header(header::WWW_AUTHENTICATE),
            header(header::CACHE_CONTROL),
        );
        let body = to_bytes(response.into_body()).await.unwrap_or_default();
        let body = serde_json::from_slice(&body).unwrap_or_default();
        (status, challenge, cache, body)
    }

    #[actix_web::test]
    async fn invalid_client_after_basic_is_a_401_challenge() {
        let err = ClientAuthError {
            via_authorization_header: true,
            ..ClientAuthError::invalid_client("the client secret is wrong")
        };
        let (status, challenge, cache, body) = render(err).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(challenge.as_deref(), Some(r#"Basic realm="valet""#));
        assert_eq!(cache.as_deref(), Some("no-store"));
        assert_eq!(
            body,
            json!({"error": "invalid_client", "error_description": "the client secret is wrong"})
        );
    }

    #[actix_web::test]
    async fn invalid_client_without_basic_is_a_400() {
        let err = ClientAuthError::invalid_client("unknown client");
        let (status, challenge, cache, body) = render(err).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(challenge, None);
        assert_eq!(cache.as_deref(), Some("no-store"));
        assert_eq!(body["error"], "invalid_client");
    }

    #[actix_web::test]
    async fn invalid_request_is_a_400_even_after_basic() {
        let err = ClientAuthError {
            via_authorization_header: true,
            ..ClientAuthError::invalid_request("more than one client authentication method is used")
        };
        let (status, challenge, _, body) = render(err).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(challenge, None);
        assert_eq!(body["error"], "invalid_request");
    }

    #[actix_web::test]
    async fn a_store_failure_is_a_500_without_its_cause() {
        let err = ClientAuthError {
            code: OAuthErrorCode::ServerError,
            description: "client authentication is unavailable right now".into(),
            via_authorization_header: false,
            cause: Some("connection refused to db.internal".into()),
        };
        let (status, _, _, body) = render(err).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"], "server_error");
        assert!(!body.to_string().contains("db.internal"));
    }
}
