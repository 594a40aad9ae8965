//! The OpenID Foundation conformance suite's OP tests, re-enacted (CONFORMANCE.md §1.1, §2.3–2.7): its
//! static clients and authorization requests (sorted parameters, 10-character alphanumeric `state` and
//! `nonce`) here, Valet as the suite sees it in `op`, and the checks it applies to every callback, token
//! response, ID token and userinfo answer in `checks`. Each check is named after the suite's condition
//! it mirrors; its FAILURE and WARNING severities are both failures here (node-oidc-provider's CI
//! treats a WARNING as a failure too).

pub mod checks;
mod id_token;
pub mod logout;
pub mod op;

use std::collections::BTreeMap;

use super::oidc::{self, ClientAuth};

/// The suite's `<base>/callback` for a test alias.
pub const REDIRECT_URI: &str = "https://rp.example.test/test/a/valet/callback";

/// The static clients of CONFORMANCE.md §3.2: `client` and `client2` (client_secret_basic) and
/// `client_secret_post`, allowed every scope and the refresh_token grant. The suite sends PKCE only in
/// its PKCE module, so these clients opt out of Valet's default `require_pkce = true`.
pub const CLIENTS_TOML: &str = r#"
[[clients]]
client_id = "conformance"
client_name = "OIDF Conformance Test"
client_secret = "conformance-basic-secret-0123456789abcdef"
token_endpoint_auth_method = "client_secret_basic"
redirect_uris = ["https://rp.example.test/test/a/valet/callback"]
grant_types = ["authorization_code", "refresh_token"]
scope = "openid profile email address phone offline_access"
contacts = ["certification@oidf.org"]
require_pkce = false

[[clients]]
client_id = "conformance2"
client_name = "OIDF Conformance Test (second client)"
client_secret = "conformance-second-secret-0123456789abcdef"
redirect_uris = ["https://rp.example.test/test/a/valet/callback"]
grant_types = ["authorization_code", "refresh_token"]
scope = "openid profile email address phone offline_access"
require_pkce = false

[[clients]]
client_id = "conformance-post"
client_name = "OIDF Conformance Test (client_secret_post)"
client_secret = "conformance-post-secret-0123456789abcdef"
token_endpoint_auth_method = "client_secret_post"
redirect_uris = ["https://rp.example.test/test/a/valet/callback"]
grant_types = ["authorization_code", "refresh_token"]
scope = "openid profile email address phone offline_access"
require_pkce = false
"#;

/// The provisioning file of every conformance test: the suite's clients and its fully populated user.
pub fn provisioning() -> String {
    format!("{CLIENTS_TOML}\n{}", oidc::USER_TOML)
}

/// One of the suite's static clients.
#[derive(Clone, Copy, Debug)]
pub struct SuiteClient {
    pub id: &'static str,
    pub secret: &'static str,
    pub post: bool,
}

/// `client`: client_secret_basic, the plan's default.
pub const CLIENT: SuiteClient = SuiteClient {
    id: "conformance",
    secret: "conformance-basic-secret-0123456789abcdef",
    post: false,
};

/// `client2`: the second client of oidcc-refresh-token.
pub const CLIENT2: SuiteClient = SuiteClient {
    id: "conformance2",
    secret: "conformance-second-secret-0123456789abcdef",
    post: false,
};

/// `client_secret_post`: the client of oidcc-server-client-secret-post.
pub const CLIENT_POST: SuiteClient = SuiteClient {
    id: "conformance-post",
    secret: "conformance-post-secret-0123456789abcdef",
    post: true,
};

impl SuiteClient {
    pub fn auth(&self) -> ClientAuth<'static> {
        if self.post {
            ClientAuth::Post {
                id: self.id,
                secret: self.secret,
            }
        } else {
            ClientAuth::Basic {
                id: self.id,
                secret: self.secret,
            }
        }
    }

    pub fn method(&self) -> &'static str {
        if self.post {
            "client_secret_post"
        } else {
            "client_secret_basic"
        }
    }
}

/// An authorization request's parameters; the URL lists them sorted, as the suite does
/// (`BuildPlainRedirectToAuthorizationEndpoint`).
#[derive(Clone, Debug)]
pub struct AuthRequest {
    params: BTreeMap<String, String>,
}

impl AuthRequest {
    /// `CreateAuthorizationRequestSteps` for a static client: `scope=openid`, random 10-character
    /// `state` and `nonce`, `response_type=code`.
    pub fn new(client: &SuiteClient) -> Self {
        let params = [
            ("client_id", client.id.to_owned()),
            ("redirect_uri", REDIRECT_URI.to_owned()),
            ("scope", "openid".to_owned()),
            ("state", oidc::random_alnum(10)),
            ("nonce", oidc::random_alnum(10)),
            ("response_type", "code".to_owned()),
        ];
        Self {
            params: params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.params.insert(name.to_owned(), value.to_owned());
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.params.remove(name);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// The query string, parameters in sorted order.
    pub fn query(&self) -> String {
        encode(self.pairs())
    }

    /// The query string in reverse alphabetical order (oidcc-alternate-happy-flow).
    pub fn query_reversed(&self) -> String {
        encode(self.pairs().into_iter().rev())
    }
}

fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    // Percent-encoding with %20 for spaces, as the suite's URI builder does.
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .replace('+', "%20")
}
