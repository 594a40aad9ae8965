//! The `openidconnect` crate as a real relying party against the `valet` binary: discovery, the
//! authorization code flow with PKCE (OIDC Core §3.1, RFC 7636), ID token validation with the crate's
//! verifier (§3.1.3.7) and its `at_hash` (§3.1.3.8), then userinfo (§5.3); once per client
//! authentication method of OIDC Core §9, on SQLite and PostgreSQL.
//!
//! The crate authenticates clients with a secret only (Basic or in the body). For private_key_jwt and
//! client_secret_jwt the test signs the client assertion itself (RFC 7523 §2.2) and hands it to the
//! crate's token request as extra parameters; the crate still sends the request and validates the answer.

mod support;

use std::time::{Duration, SystemTime};

use josekit::jwk::KeyPair;
use josekit::jws::{self, JwsHeader, JwsSigner};
use josekit::jwt::{self, JwtPayload};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Map, Value};
use support::browser::Browser;
use support::oidc::{self, Shown};
use support::{Backend, Deployment, TestResult};

const REDIRECT_URI: &str = "https://rp.example.test/callback";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    ClientSecretJwt,
    None,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::None => "none",
        }
    }

    fn core(self) -> CoreClientAuthMethod {
        match self {
            Self::ClientSecretBasic => CoreClientAuthMethod::ClientSecretBasic,
            Self::ClientSecretPost => CoreClientAuthMethod::ClientSecretPost,
            Self::PrivateKeyJwt => CoreClientAuthMethod::PrivateKeyJwt,
            Self::ClientSecretJwt => CoreClientAuthMethod::ClientSecretJwt,
            Self::None => CoreClientAuthMethod::None,
        }
    }

    fn client_id(self) -> String {
        format!("rp-{}", self.as_str().replace('_', "-"))
    }

    /// Characters that form-urlencoding changes: RFC 6749 §2.3.1 has Basic credentials encoded
    /// before base64, so the provider must decode them.
    fn secret(self) -> Option<String> {
        match self {
            Self::ClientSecretBasic | Self::ClientSecretPost | Self::ClientSecretJwt => {
                Some(format!(
                    "{} secret: +/%&=~ 0123456789abcdefghijklmnopqrstuvwxyz",
                    self.as_str()
                ))
            }
            Self::PrivateKeyJwt | Self::None => None,
        }
    }
}

/// The private_key_jwt client's ES256 key: the public JWK (with a `kid`) is registered in the
/// provisioning file, the private one signs the assertions.
struct ClientKey {
    kid: String,
    public: Map<String, Value>,
    signer: jws::alg::ecdsa::EcdsaJwsSigner,
}

impl ClientKey {
    fn generate() -> TestResult<Self> {
        let pair = jws::ES256.generate_key_pair()?;
        let kid = oidc::random_alnum(16);
        let mut public = pair.to_jwk_public_key();
        public.set_key_id(&kid);
        public.set_key_use("sig");
        public.set_algorithm("ES256");
        let mut private = pair.to_jwk_private_key();
        private.set_key_id(&kid);
        Ok(Self {
            signer: jws::ES256.signer_from_jwk(&private)?,
            public: public.as_ref().clone(),
            kid,
        })
    }
}

/// The client under test and the user, as `valet serve --provision` reads them.
fn provisioning(method: Method, key: Option<&ClientKey>) -> TestResult<String> {
    let credentials = match (method.secret(), key) {
        (Some(secret), _) => format!("client_secret = \"{secret}\""),
        (None, Some(key)) => oidc::jwks_toml(std::slice::from_ref(&key.public))?,
        (None, None) => String::new(),
    };
    Ok(format!(
        r#"
[[clients]]
client_id = "{id}"
client_name = "Relying party ({method})"
token_endpoint_auth_method = "{method}"
redirect_uris = ["{REDIRECT_URI}"]
grant_types = ["authorization_code"]
scope = "openid profile email"
{credentials}
{user}"#,
        id = method.client_id(),
        method = method.as_str(),
        user = oidc::USER_TOML,
    ))
}

/// A client assertion as RFC 7523 §3 and OIDC Core §9 describe it, shaped like the conformance suite's.
fn client_assertion(
    signer: &dyn JwsSigner,
    kid: Option<&str>,
    client_id: &str,
    token_endpoint: &str,
) -> TestResult<String> {
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    if let Some(kid) = kid {
        header.set_key_id(kid);
    }
    let mut payload = JwtPayload::new();
    payload.set_issuer(client_id);
    payload.set_subject(client_id);
    payload.set_claim("aud", Some(Value::from(token_endpoint)))?;
    payload.set_jwt_id(oidc::random_alnum(20));
    let now = SystemTime::now();
    payload.set_issued_at(&now);
    payload.set_not_before(&now);
    payload.set_expires_at(&(now + Duration::from_secs(60)));
    Ok(jwt::encode_with_signer(&payload, &header, signer)?)
}

async fn relying_party_signs_in(method: Method, backend: Backend) -> TestResult {
    let key = match method {
        Method::PrivateKeyJwt => Some(ClientKey::generate()?),
        _ => None,
    };
    let deployment = Deployment::provisioned(backend, &provisioning(method, key.as_ref())?)?;
    let valet = deployment.start().await?;
    // As openidconnect's docs advise: following redirects would expose the client to SSRF.
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()?;

    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(valet.issuer.clone())?, &http).await?;
    let advertised = metadata
        .token_endpoint_auth_methods_supported()
        .cloned()
        .unwrap_or_default();
    assert!(
        advertised.contains(&method.core()),
        "{} is not advertised: {advertised:?}",
        method.as_str()
    );
    let token_endpoint = metadata
        .token_endpoint()
        .ok_or("no token_endpoint")?
        .to_string();
    // The crate sends a secret only as Basic or in the body; the other methods get none from it.
    let secret = match method {
        Method::ClientSecretBasic | Method::ClientSecretPost => {
            method.secret().map(ClientSecret::new)
        }
        _ => None,
    };
    let auth_type = match method {
        Method::ClientSecretBasic => AuthType::BasicAuth,
        _ => AuthType::RequestBody,
    };
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(method.client_id()), secret)
            .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned())?)
            .set_auth_type(auth_type);

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .add_scope(Scope::new("profile".to_owned()))
        .set_pkce_challenge(challenge)
        .url();

    let mut browser = Browser::new();
    let first = browser.get(url.as_str()).await?;
    let journey = oidc::follow(&mut browser, &valet.issuer, first).await?;
    assert_eq!(journey.shown, [Shown::Login, Shown::Consent]);
    let callback = oidc::query_callback(&journey.end, REDIRECT_URI)?;
    assert_eq!(callback.get("state"), Some(state.secret()), "state");
    // RFC 9207 §2.4: the crate does not look at `iss`, so the relying party does.
    assert_eq!(callback.get("iss"), Some(&valet.issuer), "iss");
    let code = callback
        .get("code")
        .cloned()
        .ok_or("no code in the callback")?;

    let mut exchange = client
        .exchange_code(AuthorizationCode::new(code))?
        .set_pkce_verifier(verifier);
    let client_id = method.client_id();
    let assertion = match (method, &key) {
        (Method::PrivateKeyJwt, Some(key)) => Some(client_assertion(
            &key.signer,
            Some(&key.kid),
            &client_id,
            &token_endpoint,
        )?),
        (Method::ClientSecretJwt, _) => {
            let secret = method.secret().unwrap_or_default();
            let signer = jws::HS256.signer_from_bytes(secret.as_bytes())?;
            Some(client_assertion(
                &signer,
                None,
                &client_id,
                &token_endpoint,
            )?)
        }
        _ => None,
    };
    if let Some(assertion) = assertion {
        exchange = exchange
            .add_extra_param("client_assertion_type", JWT_BEARER)
            .add_extra_param("client_assertion", assertion);
    }
    let tokens = exchange
        .request_async(&http)
        .await
        .map_err(|e| format!("token request ({}): {e:?}", method.as_str()))?;
    assert!(tokens.token_type().as_ref().eq_ignore_ascii_case("bearer"));

    let id_token = tokens
        .id_token()
        .ok_or("no id_token in the token response")?;
    let id_verifier = client.id_token_verifier();
    let claims = id_token.claims(&id_verifier, &nonce)?;
    let at_hash = claims.access_token_hash().ok_or("no at_hash")?;
    let computed = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg()?,
        id_token.signing_key(&id_verifier)?,
    )?;
    assert_eq!(&computed, at_hash, "at_hash");
    assert!(claims.auth_time().is_some(), "auth_time");

    let userinfo: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )?
        .request_async(&http)
        .await
        .map_err(|e| format!("userinfo: {e:?}"))?;
    assert_eq!(
        userinfo.email().map(|e| e.as_str()),
        Some("alice@wonderland.example")
    );
    assert_eq!(userinfo.email_verified(), Some(true));
    assert_eq!(
        userinfo
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str()),
        Some("Alice Liddell")
    );
    Ok(())
}

#[tokio::test]
async fn client_secret_basic_on_sqlite() -> TestResult {
    relying_party_signs_in(Method::ClientSecretBasic, Backend::Sqlite).await
}

#[tokio::test]
async fn client_secret_basic_on_postgres() -> TestResult {
    relying_party_signs_in(Method::ClientSecretBasic, Backend::Postgres).await
}

#[tokio::test]
async fn client_secret_post_on_sqlite() -> TestResult {
    relying_party_signs_in(Method::ClientSecretPost, Backend::Sqlite).await
}

#[tokio::test]
async fn client_secret_post_on_postgres() -> TestResult {
    relying_party_signs_in(Method::ClientSecretPost, Backend::Postgres).await
}

#[tokio::test]
async fn private_key_jwt_on_sqlite() -> TestResult {
    relying_party_signs_in(Method::PrivateKeyJwt, Backend::Sqlite).await
}

#[tokio::test]
async fn private_key_jwt_on_postgres() -> TestResult {
    relying_party_signs_in(Method::PrivateKeyJwt, Backend::Postgres).await
}

#[tokio::test]
async fn public_client_with_pkce_on_sqlite() -> TestResult {
    relying_party_signs_in(Method::None, Backend::Sqlite).await
}

#[tokio::test]
async fn public_client_with_pkce_on_postgres() -> TestResult {
    relying_party_signs_in(Method::None, Backend::Postgres).await
}

#[tokio::test]
async fn client_secret_jwt_on_sqlite() -> TestResult {
    relying_party_signs_in(Method::ClientSecretJwt, Backend::Sqlite).await
}

#[tokio::test]
async fn client_secret_jwt_on_postgres() -> TestResult {
    relying_party_signs_in(Method::ClientSecretJwt, Backend::Postgres).await
}
