//! Valet as the suite sees it after `AbstractOIDCCServerTest.configure()`, and the suite's steps of a
//! code flow: authorization request, callback, token request, ID token and userinfo checks.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Map, Value};

use super::checks::{
    check_code_strength, check_error_fields, check_server_jwks, check_standard_claims, media_type,
};
use super::{AuthRequest, REDIRECT_URI, SuiteClient};
use crate::support::browser::Browser;
use crate::support::oidc::{self, Journey, TokenAnswer};
use crate::support::{TestResult, Valet};

/// A token response that passed the suite's checks, with its ID token read and verified.
#[derive(Debug)]
pub struct Tokens {
    pub answer: TokenAnswer,
    pub access_token: String,
    pub token_type: String,
    pub id_token: String,
    pub id_header: Map<String, Value>,
    pub id_claims: Map<String, Value>,
}

/// Valet as the suite sees it after `AbstractOIDCCServerTest.configure()`.
pub struct Op<'d> {
    pub valet: Valet<'d>,
    pub issuer: String,
    pub metadata: Map<String, Value>,
    pub jwks: Vec<Map<String, Value>>,
}

impl<'d> Op<'d> {
    /// Fetches the discovery document and the keys and runs the configuration checks of §1.1 steps 2–6.
    pub async fn new(valet: Valet<'d>) -> TestResult<Self> {
        let issuer = valet.issuer.clone();
        let discovery = format!("{issuer}/.well-known/openid-configuration");
        let metadata: Map<String, Value> = reqwest::get(&discovery)
            .await?
            .error_for_status()?
            .json()
            .await?;
        // CheckServerConfiguration.
        for member in ["authorization_endpoint", "token_endpoint", "issuer"] {
            let value = metadata.get(member).and_then(Value::as_str).unwrap_or("");
            url::Url::parse(value).map_err(|e| format!("{member} `{value}` is not a URL: {e}"))?;
        }
        let jwks_uri = metadata
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or("no jwks_uri")?;
        let jwks: Value = reqwest::get(jwks_uri)
            .await?
            .error_for_status()?
            .json()
            .await?;
        let keys: Vec<Map<String, Value>> = jwks["keys"]
            .as_array()
            .ok_or("the JWKS has no keys array")?
            .iter()
            .map(|k| k.as_object().cloned().ok_or("a JWK is not an object"))
            .collect::<Result<_, _>>()?;
        check_server_jwks(&keys)?;
        // SetProtectedResourceUrlToUserInfoEndpoint.
        if metadata
            .get("userinfo_endpoint")
            .and_then(Value::as_str)
            .is_none()
        {
            return Err("no userinfo_endpoint: every flow of the suite calls it".into());
        }
        Ok(Self {
            valet,
            issuer,
            metadata,
            jwks: keys,
        })
    }

    pub fn endpoint(&self, member: &str) -> TestResult<&str> {
        self.metadata
            .get(member)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("discovery lacks {member}").into())
    }

    /// A string array member of the discovery document (empty when absent).
    pub fn supported(&self, member: &str) -> Vec<&str> {
        self.metadata
            .get(member)
            .and_then(Value::as_array)
            .map(|values| values.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    pub fn authorize_url(&self, request: &AuthRequest) -> TestResult<String> {
        Ok(format!(
            "{}?{}",
            self.endpoint("authorization_endpoint")?,
            request.query()
        ))
    }

    /// Sends the request as a GET and follows it through the login and consent pages.
    pub async fn authorize(
        &self,
        browser: &mut Browser,
        request: &AuthRequest,
    ) -> TestResult<Journey> {
        let first = browser.get(&self.authorize_url(request)?).await?;
        oidc::follow(browser, &self.issuer, first).await
    }

    /// As `authorize`, with a prepared query string.
    pub async fn authorize_query(&self, browser: &mut Browser, query: &str) -> TestResult<Journey> {
        let url = format!("{}?{query}", self.endpoint("authorization_endpoint")?);
        let first = browser.get(&url).await?;
        oidc::follow(browser, &self.issuer, first).await
    }

    /// The code of a successful default-mode (query) response, after `processCallback`'s checks.
    pub fn code_from(&self, journey: &Journey, request: &AuthRequest) -> TestResult<String> {
        let callback = oidc::query_callback(&journey.end, REDIRECT_URI)?;
        self.check_success_callback(&callback, request)
    }

    /// `ValidateIssIfPresentInAuthorizationResponse`, `CheckIfAuthorizationEndpointError`,
    /// `CheckStateInAuthorizationResponse`, then the code's length and entropy (oidcc-server).
    pub fn check_success_callback(
        &self,
        callback: &BTreeMap<String, String>,
        request: &AuthRequest,
    ) -> TestResult<String> {
        self.check_iss(callback);
        if let Some(error) = callback.get("error") {
            return Err(
                format!("the authorization endpoint answered error {error}: {callback:?}").into(),
            );
        }
        assert_eq!(
            callback.get("state").map(String::as_str),
            request.get("state"),
            "state must come back exactly"
        );
        let code = callback
            .get("code")
            .ok_or_else(|| format!("no code in {callback:?}"))?;
        check_code_strength(code);
        Ok(code.clone())
    }

    /// `ValidateIssIfPresentInAuthorizationResponse`; and since Valet advertises
    /// `authorization_response_iss_parameter_supported`, RFC 9207 §2.4 has the client require `iss`.
    fn check_iss(&self, callback: &BTreeMap<String, String>) {
        let promised = self
            .metadata
            .get("authorization_response_iss_parameter_supported")
            == Some(&Value::Bool(true));
        match callback.get("iss") {
            Some(iss) => assert_eq!(
                iss, &self.issuer,
                "ValidateIssIfPresentInAuthorizationResponse"
            ),
            None => assert!(!promised, "RFC 9207: no iss in {callback:?}"),
        }
    }

    /// The generic checks of an authorization error response (CONFORMANCE.md §1.1, last table).
    pub fn check_error_callback(
        &self,
        callback: &BTreeMap<String, String>,
        request: &AuthRequest,
    ) -> TestResult<String> {
        assert_eq!(
            callback.get("state").map(String::as_str),
            request.get("state"),
            "CheckStateInAuthorizationResponse"
        );
        self.check_iss(callback);
        let error = callback
            .get("error")
            .ok_or_else(|| format!("EnsureErrorFromAuthorizationEndpointResponse: {callback:?}"))?;
        assert!(
            !callback.contains_key("code"),
            "RejectAuthCodeInAuthorizationEndpointResponse: {callback:?}"
        );
        const ALLOWED: [&str; 6] = [
            "error",
            "error_description",
            "error_uri",
            "state",
            "session_state",
            "iss",
        ];
        let unexpected: Vec<&String> = callback
            .keys()
            .filter(|k| !ALLOWED.contains(&k.as_str()))
            .collect();
        assert!(
            unexpected.is_empty(),
            "CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint: {unexpected:?}"
        );
        check_error_fields(
            callback.get("error").map(String::as_str),
            callback.get("error_description").map(String::as_str),
            callback.get("error_uri").map(String::as_str),
        );
        Ok(error.clone())
    }

    /// The token request of `CreateTokenEndpointRequestForAuthorizationCodeGrant` and the checks on its
    /// answer, then `PerformStandardIdTokenChecks` on the ID token.
    pub async fn exchange(
        &self,
        client: &SuiteClient,
        code: &str,
        request: &AuthRequest,
        code_verifier: Option<&str>,
    ) -> TestResult<Tokens> {
        let methods = self.supported("token_endpoint_auth_methods_supported");
        if client.post
            || self
                .metadata
                .contains_key("token_endpoint_auth_methods_supported")
        {
            assert!(
                methods.contains(&client.method()),
                "EnsureServerConfigurationSupports{}: {methods:?}",
                client.method()
            );
        }
        let answer = oidc::redeem_code(
            self.endpoint("token_endpoint")?,
            client.auth(),
            code,
            REDIRECT_URI,
            code_verifier,
        )
        .await?;
        self.check_token_success(&answer)?;
        assert!(
            answer.json["id_token"].is_string(),
            "ExtractIdTokenFromTokenResponse: {}",
            answer.json
        );
        let id_token = answer.str("id_token")?.to_owned();
        let (id_header, id_claims) =
            self.check_id_token(&id_token, client, request.get("nonce"))?;
        Ok(Tokens {
            access_token: answer.str("access_token")?.to_owned(),
            token_type: answer.str("token_type")?.to_owned(),
            answer,
            id_token,
            id_header,
            id_claims,
        })
    }

    /// A whole code flow in the default response mode for `client`.
    pub async fn code_flow(
        &self,
        browser: &mut Browser,
        client: &SuiteClient,
        request: &AuthRequest,
    ) -> TestResult<(Journey, Tokens)> {
        let journey = self.authorize(browser, request).await?;
        let code = self.code_from(&journey, request)?;
        let tokens = self.exchange(client, &code, request, None).await?;
        Ok((journey, tokens))
    }

    /// CONFORMANCE.md §2.5, success: exactly 200, JSON, `no-store`, `access_token` and a Bearer
    /// `token_type`, a sane `expires_in` (its absence WARNs in oidcc-server).
    pub fn check_token_success(&self, answer: &TokenAnswer) -> TestResult {
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "CheckTokenEndpointHttpStatus200: {}",
            answer.json
        );
        assert!(
            answer.json.get("error").is_none(),
            "CheckIfTokenEndpointResponseError: {}",
            answer.json
        );
        assert_eq!(media_type(&answer.content_type), "application/json");
        assert!(
            answer
                .cache_control
                .split(',')
                .any(|d| d.trim() == "no-store"),
            "OIDC Core §3.1.3.3: Cache-Control no-store, got `{}`",
            answer.cache_control
        );
        assert!(
            !answer.str("access_token")?.is_empty(),
            "CheckForAccessTokenValue"
        );
        assert!(
            answer.str("token_type")?.eq_ignore_ascii_case("bearer"),
            "CheckTokenTypeIsBearer: {}",
            answer.json
        );
        let expires_in = answer.json["expires_in"]
            .as_f64()
            .ok_or("ExtractExpiresInFromTokenEndpointResponse: no numeric expires_in")?;
        assert!(
            expires_in > 0.0 && expires_in <= 31_536_000.0,
            "ValidateExpiresIn: {expires_in}"
        );
        Ok(())
    }

    /// `CallProtectedResource` on the userinfo endpoint: GET with `Authorization: <token_type> <token>`.
    pub async fn userinfo_get(&self, tokens: &Tokens) -> TestResult<Map<String, Value>> {
        let response = reqwest::Client::new()
            .get(self.endpoint("userinfo_endpoint")?)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::AUTHORIZATION,
                format!("{} {}", tokens.token_type, tokens.access_token),
            )
            .send()
            .await?;
        self.check_userinfo(response, tokens).await
    }

    /// CONFORMANCE.md §2.7: 200, `application/json`, standard claim types, `sub` = the ID token's.
    pub async fn check_userinfo(
        &self,
        response: reqwest::Response,
        tokens: &Tokens,
    ) -> TestResult<Map<String, Value>> {
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await?;
        assert_eq!(status, StatusCode::OK, "EnsureHttpStatusCodeIs200: {text}");
        assert_eq!(
            media_type(&content_type),
            "application/json",
            "userinfo content type"
        );
        let claims: Map<String, Value> = serde_json::from_str(&text)?;
        assert!(
            !claims.is_empty(),
            "ValidateUserInfoStandardClaims: empty object"
        );
        check_standard_claims(&claims, "ValidateUserInfoStandardClaims");
        assert_eq!(
            claims.get("sub"),
            tokens.id_claims.get("sub"),
            "EnsureUserInfoContainsSub / sub equals the ID token's"
        );
        if claims.contains_key("updated_at") {
            let updated_at = oidc::int(&claims, "updated_at")?;
            assert!(
                updated_at >= 631_152_000 && updated_at <= oidc::now_secs() + 300,
                "EnsureUserInfoUpdatedAtValid: {updated_at}"
            );
        }
        assert_eq!(
            claims.contains_key("_claim_names"),
            claims.contains_key("_claim_sources"),
            "EnsureMemberValuesInClaimNameReferenceToMemberNamesInClaimSources"
        );
        Ok(claims)
    }
}
