//! The `openidconnect` crate as a relying party with refresh, revocation and introspection, for the
//! token lifecycle tests: two confidential clients of the same user, logins in fresh browsers, and
//! each token call as the crate makes it.
//!
//! The crate's discovery reads only OIDC Discovery members, so the RFC 8414 `revocation_endpoint` and
//! `introspection_endpoint` are read from the same document and handed to the crate. The crate also
//! (rightly, RFC 7009 §2) refuses a revocation URL that is not https, and the test deployment has no
//! TLS: the crate gets the https form of the URL and a transport that sends its request unchanged
//! over plain HTTP to the same host and port.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreIdTokenClaims,
    CoreProviderMetadata, CoreRevocableToken, CoreTokenIntrospectionResponse, CoreTokenResponse,
};
use openidconnect::{
    AccessToken, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IntrospectionUrl, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, RequestTokenError,
    RevocationUrl, Scope, TokenResponse,
};
use serde_json::{Map, Value};

use super::browser::Browser;
use super::oidc;
use super::{Deployment, TestResult, Valet};

pub const REDIRECT_URI: &str = "https://rp.example.test/lifecycle/callback";

/// The relying party under test, and a second one of the same user.
pub const APP: (&str, &str) = ("lifecycle-app", "lifecycle app secret: +/%&= 0123456789");
pub const OTHER: (&str, &str) = ("lifecycle-other", "lifecycle other secret 0123456789");

/// Both clients may refresh; `offline_access` is what gets them a refresh token.
pub fn provisioning() -> String {
    let client = |(id, secret): (&str, &str)| {
        format!(
            r#"
[[clients]]
client_id = "{id}"
client_name = "Lifecycle relying party {id}"
client_secret = "{secret}"
token_endpoint_auth_method = "client_secret_basic"
redirect_uris = ["{REDIRECT_URI}"]
grant_types = ["authorization_code", "refresh_token"]
scope = "openid profile email offline_access"
"#
        )
    };
    format!("{}{}{}", client(APP), client(OTHER), oidc::USER_TOML)
}

pub type Rp = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Valet as a relying party discovers it.
pub struct Provider<'d> {
    pub valet: Valet<'d>,
    pub http: openidconnect::reqwest::Client,
    pub metadata: CoreProviderMetadata,
    pub revocation: RevocationUrl,
    pub introspection: IntrospectionUrl,
}

/// What a fresh login in a fresh browser gave the relying party.
pub struct SignedIn {
    pub tokens: CoreTokenResponse,
    pub claims: CoreIdTokenClaims,
}

impl SignedIn {
    pub fn refresh_token(&self) -> TestResult<RefreshToken> {
        Ok(self
            .tokens
            .refresh_token()
            .ok_or("no refresh token despite offline_access")?
            .clone())
    }
}

impl<'d> Provider<'d> {
    pub async fn start(deployment: &'d Deployment) -> TestResult<Self> {
        let valet = deployment.start().await?;
        // As openidconnect's docs advise: following redirects would expose the client to SSRF.
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .build()?;
        let issuer = IssuerUrl::new(valet.issuer.clone())?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http).await?;
        let raw: Map<String, Value> = http
            .get(valet.url("/.well-known/openid-configuration"))
            .send()
            .await?
            .json()
            .await?;
        let member = |name: &str| -> TestResult<String> {
            Ok(raw
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("discovery lacks {name}"))?
                .to_owned())
        };
        Ok(Self {
            revocation: RevocationUrl::new(
                member("revocation_endpoint")?.replacen("http://", "https://", 1),
            )?,
            introspection: IntrospectionUrl::new(member("introspection_endpoint")?)?,
            valet,
            http,
            metadata,
        })
    }

    pub fn client(&self, (id, secret): (&str, &str)) -> TestResult<Rp> {
        Ok(CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(id.to_owned()),
            Some(ClientSecret::new(secret.to_owned())),
        )
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned())?)
        .set_auth_type(AuthType::BasicAuth)
        .set_revocation_url(self.revocation.clone())
        .set_introspection_url(self.introspection.clone()))
    }

    /// The code flow with PKCE in a new browser, so each call is a new login (a new session).
    pub async fn sign_in(&self, rp: &Rp, scopes: &[&str]) -> TestResult<SignedIn> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = rp
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in scopes {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        let (url, state, nonce) = request.url();
        let mut browser = Browser::new();
        let first = browser.get(url.as_str()).await?;
        let journey = oidc::follow(&mut browser, self.valet.issuer.as_str(), first).await?;
        let callback = oidc::query_callback(&journey.end, REDIRECT_URI)?;
        assert_eq!(callback.get("state"), Some(state.secret()), "state");
        let code = callback.get("code").ok_or("no code in the callback")?;
        let tokens = rp
            .exchange_code(AuthorizationCode::new(code.clone()))?
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| format!("token request: {e:?}"))?;
        let id_token = tokens.id_token().ok_or("no id_token")?;
        let claims = id_token.claims(&rp.id_token_verifier(), &nonce)?.clone();
        Ok(SignedIn { tokens, claims })
    }

    /// A refresh request; `Ok(Err(code))` is the OAuth error the provider answered.
    pub async fn refresh(
        &self,
        rp: &Rp,
        token: &RefreshToken,
        scopes: &[&str],
    ) -> TestResult<Result<CoreTokenResponse, CoreErrorResponseType>> {
        let mut request = rp.exchange_refresh_token(token)?;
        for scope in scopes {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        match request.request_async(&self.http).await {
            Ok(tokens) => Ok(Ok(tokens)),
            Err(RequestTokenError::ServerResponse(e)) => Ok(Err(e.error().clone())),
            Err(e) => Err(format!("refresh request: {e:?}").into()),
        }
    }

    /// A refresh that must succeed.
    pub async fn refreshed(&self, rp: &Rp, token: &RefreshToken) -> TestResult<CoreTokenResponse> {
        self.refresh(rp, token, &[])
            .await?
            .map_err(|e| format!("refresh refused: {e:?}").into())
    }

    /// RFC 7009 §2.1, the request built by the crate (with its `token_type_hint`).
    pub async fn revoke(&self, rp: &Rp, token: CoreRevocableToken) -> TestResult {
        rp.revoke_token(token)?
            .request_async(&over_plain_http)
            .await
            .map_err(|e| format!("revocation: {e:?}"))?;
        Ok(())
    }

    pub async fn introspect(
        &self,
        rp: &Rp,
        token: &str,
    ) -> TestResult<CoreTokenIntrospectionResponse> {
        let token = AccessToken::new(token.to_owned());
        Ok(rp
            .introspect(&token)
            .request_async(&self.http)
            .await
            .map_err(|e| format!("introspection: {e:?}"))?)
    }
}

/// The crate's HTTP request, sent over plain HTTP (see the module docs).
async fn over_plain_http(request: HttpRequest) -> Result<HttpResponse, std::io::Error> {
    let url = request.uri().to_string().replacen("https://", "http://", 1);
    let response = reqwest::Client::new()
        .request(request.method().clone(), url)
        .headers(request.headers().clone())
        .body(request.body().clone())
        .send()
        .await
        .map_err(std::io::Error::other)?;
    let mut answer = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let body = response.bytes().await.map_err(std::io::Error::other)?;
    answer.body(body.to_vec()).map_err(std::io::Error::other)
}

pub fn invalid_grant(answer: Result<CoreTokenResponse, CoreErrorResponseType>, what: &str) {
    match answer {
        Err(CoreErrorResponseType::InvalidGrant) => {}
        Err(other) => panic!("{what}: expected invalid_grant, got {other:?}"),
        Ok(tokens) => panic!("{what}: expected invalid_grant, got new tokens {tokens:?}"),
    }
}
