//! Outbound request guard against server-side request forgery (SSRF; OWASP SSRF Prevention Cheat
//! Sheet). Clients choose URLs the provider then fetches: today `backchannel_logout_uri`
//! (Back-Channel Logout §2.5); once Valet fetches them, `request_uri` (OIDC Core §6.2, RFC 9101
//! §10.4.1), `jwks_uri` and `sector_identifier_uri` (OIDC Core §8.1), for which [`Outbound::get`]
//! is ready. Without a guard they reach loopback admin ports,
//! private networks and cloud metadata (169.254.169.254). Every server-side fetch goes through
//! [`Outbound`]: http(s) only, no userinfo, no redirects, no proxy, a timeout, a response-size
//! limit, and no connection to a special-use address (IANA special-purpose registries) unless the
//! operator allowed that network. Names are resolved by our own resolver, which filters the very
//! addresses the connector will use, so DNS rebinding cannot slip past a separate check.
//!
//! The address side lives in `network`: [`Network`] (the CIDR blocks an operator may allow) and
//! [`is_special_use`] (the IANA special-purpose tables). This module holds the client, its policy,
//! errors and responses, the filtering resolver and the URL redaction used in error messages.

mod network;
#[cfg(test)]
mod test_support;

pub use network::{Network, is_special_use};

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

fn permitted(ip: IpAddr, allow: &[Network]) -> bool {
    !is_special_use(ip) || allow.iter().any(|network| network.contains(ip))
}

/// What a server-side fetch may reach, and for how long.
#[derive(Clone, Debug)]
pub struct OutboundPolicy {
    /// Special-use networks that are nevertheless reachable (tests, on-premises relying parties).
    pub allow: Vec<Network>,
    /// Bound on connect plus the whole response.
    pub timeout: Duration,
    /// Bound on the response body.
    pub max_response_bytes: usize,
}

/// The configuration's defaults (`[outbound]` in the README).
impl Default for OutboundPolicy {
    fn default() -> Self {
        OutboundPolicy {
            allow: Vec::new(),
            timeout: Duration::from_secs(5),
            max_response_bytes: 64 * 1024,
        }
    }
}

/// Why a fetch did not happen or did not finish. Messages name at most `scheme://host:port/path`:
/// query strings and userinfo may carry secrets.
#[derive(Clone, Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("invalid outbound URL: {0}")]
    InvalidUrl(String),
    #[error("outbound URL scheme `{0}` is not http or https")]
    NotHttp(String),
    #[error(
        "outbound request to {host} refused: {ip} is a special-use address not in the allow list"
    )]
    Forbidden { host: String, ip: IpAddr },
    #[error("could not resolve {0}")]
    Resolve(String),
    #[error("outbound request timed out")]
    Timeout,
    #[error("outbound response exceeds {0} bytes")]
    TooLarge(usize),
    #[error("outbound request failed: {0}")]
    Http(String),
}

/// A complete response; redirects are returned as they are, never followed.
#[derive(Clone, Debug)]
pub struct OutboundResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The one HTTP client for server-side fetches. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    policy: OutboundPolicy,
}

impl fmt::Debug for Outbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbound")
            .field("policy", &self.inner.policy)
            .finish()
    }
}

impl Outbound {
    pub fn new(policy: OutboundPolicy) -> Result<Self, OutboundError> {
        let resolver = Arc::new(GuardedResolver {
            allow: policy.allow.clone().into(),
        });
        let client = reqwest::Client::builder()
            .user_agent("Valet")
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .dns_resolver(resolver)
            .build()
            .map_err(|e| OutboundError::Http(describe(e)))?;
        Ok(Outbound {
            inner: Arc::new(Inner { client, policy }),
        })
    }

    /// POSTs `application/x-www-form-urlencoded` (back-channel logout tokens).
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<OutboundResponse, OutboundError> {
        let url = self.check_url(url)?;
        let request = self.inner.client.post(url.clone()).form(form);
        self.exchange(&url, request).await
    }

    /// GETs a document (`jwks_uri`, `request_uri`, `sector_identifier_uri`).
    pub async fn get(&self, url: &str, accept: &str) -> Result<OutboundResponse, OutboundError> {
        let url = self.check_url(url)?;
        let request = self
            .inner
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, accept);
        self.exchange(&url, request).await
    }

    /// Rejects what the resolver never sees: foreign schemes, userinfo, and IP-literal hosts.
    fn check_url(&self, text: &str) -> Result<Url, OutboundError> {
        let url = Url::parse(text).map_err(|e| OutboundError::InvalidUrl(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::NotHttp(url.scheme().to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(OutboundError::InvalidUrl(format!(
                "userinfo is not allowed in {}",
                redacted(&url)
            )));
        }
        let literal = match url.host() {
            None => return Err(OutboundError::InvalidUrl("URL has no host".to_owned())),
            Some(Host::Domain(_)) => None,
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        };
        if let Some(ip) = literal
            && !permitted(ip, &self.inner.policy.allow)
        {
            return Err(forbidden(url.host_str().unwrap_or_default(), ip));
        }
        Ok(url)
    }

    async fn exchange(
        &self,
        url: &Url,
        request: reqwest::RequestBuilder,
    ) -> Result<OutboundResponse, OutboundError> {
        let policy = &self.inner.policy;
        let exchange = async {
            let mut response = request.send().await.map_err(|e| classify(e, url))?;
            let limit = policy.max_response_bytes;
            if response
                .content_length()
                .is_some_and(|len| len > limit as u64)
            {
                return Err(OutboundError::TooLarge(limit));
            }
            let status = response.status().as_u16();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| classify(e, url))? {
                if body.len() + chunk.len() > limit {
                    return Err(OutboundError::TooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(OutboundResponse { status, body })
        };
        // reqwest's own timeout already covers the body; this also bounds our resolver.
        tokio::time::timeout(policy.timeout, exchange)
            .await
            .unwrap_or(Err(OutboundError::Timeout))
    }
}

/// Resolves with the system resolver and drops every special-use address outside the allow list.
struct GuardedResolver {
    allow: Arc<[Network]>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = Arc::clone(&self.allow);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| boxed(OutboundError::Resolve(format!("{host}: {e}"))))?;
            let mut kept: Vec<SocketAddr> = Vec::new();
            let mut refused = None;
            for addr in resolved {
                if permitted(addr.ip(), &allow) {
                    kept.push(addr);
                } else {
                    refused.get_or_insert(addr.ip());
                }
            }
            match refused {
                Some(ip) if kept.is_empty() => Err(boxed(forbidden(&host, ip))),
                None if kept.is_empty() => Err(boxed(OutboundError::Resolve(format!(
                    "{host}: no addresses"
                )))),
                _ => Ok(Box::new(kept.into_iter()) as Addrs),
            }
        })
    }
}

fn boxed(error: OutboundError) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(error)
}

fn forbidden(host: &str, ip: IpAddr) -> OutboundError {
    tracing::warn!(host, %ip, "outbound request to a special-use address refused");
    OutboundError::Forbidden {
        host: host.to_owned(),
        ip,
    }
}

/// Maps a reqwest error, recovering our resolver's verdict from the source chain.
fn classify(error: reqwest::Error, url: &Url) -> OutboundError {
    if error.is_timeout() {
        return OutboundError::Timeout;
    }
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        if let Some(ours) = cause.downcast_ref::<OutboundError>() {
            return ours.clone();
        }
        source = cause.source();
    }
    OutboundError::Http(format!("{}: {}", redacted(url), describe(error)))
}

/// reqwest's message and its causes, without the URL reqwest would otherwise print.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// `scheme://host:port/path`: never the query, fragment or userinfo.
fn redacted(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

#[cfg(test)]
mod tests;
