//! The suite's logout steps (CONFORMANCE.md §1.8–1.10 and §2.9, `AbstractOIDCCRpInitiatedLogout`): the
//! static client with its logout URIs on the test's receiver (§3.2), the login with a 128-character
//! state, the end-session request with the 90-character state of `CreateRandomEndSessionState`, and the
//! checks on Valet's answers (in `checks`).

pub mod checks;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use self::checks::check_logged_out;
use super::op::{Op, Tokens};
use super::{AuthRequest, CLIENT, REDIRECT_URI};
use crate::support::backchannel::Receiver;
use crate::support::browser::{Browser, Page};
use crate::support::oidc::{self, Shown};
use crate::support::{Backend, Deployment, TestResult};

pub const POST_LOGOUT_REDIRECT: &str = "/post_logout_redirect";
pub const BACKCHANNEL_LOGOUT: &str = "/backchannel_logout";
pub const FRONTCHANNEL_LOGOUT: &str = "/frontchannel_logout";

/// Which logout notifications the client registers besides its post-logout redirect URI.
#[derive(Clone, Copy, Debug, Default)]
pub struct Channels {
    pub backchannel: bool,
    pub frontchannel: bool,
}

/// The suite's `client`, registered "manually" (static) with the logout URIs of §3.2 on `receiver`, and
/// the suite's user.
pub fn provisioning(receiver: &Receiver, channels: Channels) -> String {
    let mut logout = format!(
        "post_logout_redirect_uris = [\"{}\"]\n",
        receiver.url(POST_LOGOUT_REDIRECT)
    );
    if channels.backchannel {
        logout += &format!(
            "backchannel_logout_uri = \"{}\"\nbackchannel_logout_session_required = true\n",
            receiver.url(BACKCHANNEL_LOGOUT)
        );
    }
    if channels.frontchannel {
        logout += &format!(
            "frontchannel_logout_uri = \"{}\"\nfrontchannel_logout_session_required = true\n",
            receiver.url(FRONTCHANNEL_LOGOUT)
        );
    }
    format!(
        r#"
[[clients]]
client_id = "{id}"
client_name = "OIDF Conformance Test (logout)"
client_secret = "{secret}"
token_endpoint_auth_method = "client_secret_basic"
redirect_uris = ["{REDIRECT_URI}"]
grant_types = ["authorization_code", "refresh_token"]
scope = "openid profile email address phone offline_access"
require_pkce = false
{logout}
{user}"#,
        id = CLIENT.id,
        secret = CLIENT.secret,
        user = oidc::USER_TOML,
    )
}

/// A deployment for a logout module: its back-channel POSTs may reach the receiver on 127.0.0.1.
pub fn deployment(
    backend: Backend,
    receiver: &Receiver,
    channels: Channels,
) -> TestResult<Deployment> {
    Ok(
        Deployment::provisioned(backend, &provisioning(receiver, channels))?
            .with_env("VALET_OUTBOUND_ALLOW_NETWORKS", "127.0.0.0/8,::1/128"),
    )
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let token = openidconnect::CsrfToken::new_random_len(32);
        out.extend(URL_SAFE_NO_PAD.decode(token.secret()).unwrap_or_default());
    }
    out.truncate(n);
    out
}

fn pick(alphabet: &[u8], n: usize) -> String {
    random_bytes(n)
        .into_iter()
        .map(|b| char::from(alphabet[usize::from(b) % alphabet.len()]))
        .collect()
}

/// `CreateRandomEndSessionState`: `RFC6749AppendixASyntaxUtils.generateVSChar(50, 10, 30)`, 50 letters,
/// 10 digits and 30 characters of the punctuation ranges ` `–`/`, `:`–`@`, `[`–`` ` ``, `{`–`~`, with
/// `+`, space and `;` then replaced by `~`. The characters that break careless encoders are always
/// among the 30 here, not left to chance.
pub fn end_session_state() -> String {
    let letters: Vec<u8> = (b'a'..=b'z').chain(b'A'..=b'Z').collect();
    let punctuation: Vec<u8> = (b' '..=b'/')
        .chain(b':'..=b'@')
        .chain(b'['..=b'`')
        .chain(b'{'..=b'~')
        .collect();
    let forced = "&#%\"<>?='\\";
    let state = format!(
        "{}{}{forced}{}",
        pick(&letters, 50),
        pick(b"0123456789", 10),
        pick(&punctuation, 30 - forced.len())
    );
    state.replace(['+', ' ', ';'], "~")
}

/// The first authorization of every logout module: a normal code flow with `requested_state_length`
/// 128 (`alnum(124) + "-._~"`).
pub async fn login(op: &Op<'_>, browser: &mut Browser) -> TestResult<Tokens> {
    let state = format!("{}-._~", oidc::random_alnum(124));
    let request = AuthRequest::new(&CLIENT).set("state", &state);
    let (journey, tokens) = op.code_flow(browser, &CLIENT, &request).await?;
    assert!(journey.shown.contains(&Shown::Login), "{:?}", journey.shown);
    Ok(tokens)
}

/// A string claim of the token endpoint's ID token.
pub fn id_claim(tokens: &Tokens, name: &str) -> TestResult<String> {
    Ok(tokens
        .id_claims
        .get(name)
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            format!(
                "the ID token has no `{name}` (string): {:?}",
                tokens.id_claims
            )
        })?
        .to_owned())
}

/// `CreateEndSessionEndpointRequest`: `id_token_hint`, `post_logout_redirect_uri` and `state`, no
/// `client_id`.
#[derive(Clone, Debug)]
pub struct EndSession {
    params: BTreeMap<String, String>,
}

impl EndSession {
    pub fn new(tokens: &Tokens, receiver: &Receiver, state: &str) -> Self {
        let params = [
            ("id_token_hint", tokens.id_token.clone()),
            (
                "post_logout_redirect_uri",
                receiver.url(POST_LOGOUT_REDIRECT),
            ),
            ("state", state.to_owned()),
        ];
        Self {
            params: params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    /// oidcc-rp-initiated-logout-no-params: nothing at all.
    pub fn empty() -> Self {
        Self {
            params: BTreeMap::new(),
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

    /// `BuildRedirectToEndSessionEndpoint`: every value percent-encoded in the query.
    pub fn url(&self, op: &Op<'_>) -> TestResult<String> {
        let endpoint = op.endpoint("end_session_endpoint")?;
        if self.params.is_empty() {
            return Ok(endpoint.to_owned());
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.params)
            .finish()
            .replace('+', "%20");
        Ok(format!("{endpoint}?{query}"))
    }

    /// The browser goes to the end-session endpoint.
    pub async fn send(&self, op: &Op<'_>, browser: &mut Browser) -> TestResult<Page> {
        browser.get(&self.url(op)?).await
    }
}

/// A module after its first authorization: Valet as the suite sees it, the browser holding the
/// session, the token endpoint's answer and the end-session `state` the module will send.
pub struct LoggedIn<'d> {
    pub op: Op<'d>,
    pub browser: Browser,
    pub tokens: Tokens,
    pub state: String,
}

impl<'d> LoggedIn<'d> {
    pub async fn new(deployment: &'d Deployment) -> TestResult<Self> {
        let op = Op::new(deployment.start().await?).await?;
        let mut browser = Browser::new();
        let tokens = login(&op, &mut browser).await?;
        Ok(Self {
            op,
            browser,
            tokens,
            state: end_session_state(),
        })
    }

    /// `CreateEndSessionEndpointRequest`, before the module's changes.
    pub fn request(&self, rp: &Receiver) -> EndSession {
        EndSession::new(&self.tokens, rp, &self.state)
    }

    pub async fn end_session(&mut self, request: &EndSession) -> TestResult<Page> {
        request.send(&self.op, &mut self.browser).await
    }

    pub async fn check_logged_out(&mut self) -> TestResult {
        check_logged_out(&self.op, &mut self.browser).await
    }
}

/// The discovery modules: each member `true`, and `end_session_endpoint` (CheckDiscEndSessionEndpoint)
/// and every other endpoint below the issuer (in place of the https rules).
pub async fn discovery_module(members: &[&str]) -> TestResult {
    let receiver = Receiver::start().await?;
    let deployment = deployment(Backend::Sqlite, &receiver, Channels::default())?;
    let op = Op::new(deployment.start().await?).await?;
    let end_session = op.endpoint("end_session_endpoint")?;
    assert_eq!(
        end_session,
        format!("{}/logout", op.issuer),
        "the contract's endpoint"
    );
    for (name, value) in &op.metadata {
        if name.ends_with("_endpoint") {
            let url = value.as_str().unwrap_or_default();
            assert!(
                url.starts_with(&format!("{}/", op.issuer)),
                "{name} = {url}"
            );
        }
    }
    for member in members {
        assert_eq!(
            op.metadata.get(*member),
            Some(&Value::Bool(true)),
            "{member}"
        );
    }
    Ok(())
}
