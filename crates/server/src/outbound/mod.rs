//! Outbound request guard against server-side request forgery (SSRF; OWASP SSRF Prevention Cheat
//! Sheet). Clients choose URLs the provider then fetches: `backchannel_logout_uri` (Back-Channel
//! Logout §2.5), `request_uri` (OIDC Core §6.2, RFC 9101 §10.4.1), `jwks_uri`,
//! `sector_identifier_uri` (OIDC Core §8.1). Without a guard they reach loopback admin ports,
//! private networks and cloud metadata (169.254.169.254). Every server-side fetch goes through
//! [`Outbound`]: http(s) only, no userinfo, no redirects, no proxy, a timeout, a response-size
//! limit, and no connection to a special-use address (IANA special-purpose registries) unless the
//! operator allowed that network. Names are resolved by our own resolver, which filters the very
//! addresses the connector will use, so DNS rebinding cannot slip past a separate check.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// An IPv4 or IPv6 CIDR block, host bits zero. IPv4-mapped IPv6 blocks are stored as IPv4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Parses `a.b.c.d/n` or `x:y::z/n`; a bare address means a single host.
    pub fn parse(text: &str) -> Result<Network, String> {
        let text = text.trim();
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text
            .parse()
            .map_err(|_| format!("`{text}` is not an IP network: bad address `{addr_text}`"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("`{text}`: prefix length must be 0..={max}"))?,
            Some(_) => return Err(format!("`{text}`: prefix length must be 0..={max}")),
        };
        let masked = mask(addr, prefix);
        if masked != addr {
            return Err(format!(
                "`{text}` has host bits set; did you mean `{masked}/{prefix}`?"
            ));
        }
        Ok(match addr {
            IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => Network {
                    addr: IpAddr::V4(v4),
                    prefix: prefix - 96,
                },
                None => Network { addr, prefix },
            },
            _ => Network { addr, prefix },
        })
    }

    /// Whether `ip` lies in this block; an IPv4-mapped IPv6 address counts as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => in_v4(ip, net.to_bits(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(ip)) => in_v6(ip, net.to_bits(), self.prefix),
            _ => false,
        }
    }
}

impl FromStr for Network {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Network::parse(text)
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from_bits(v4.to_bits() & mask_v4(prefix))),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & mask_v6(prefix))),
    }
}

fn mask_v4(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask_v6(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

fn in_v4(ip: Ipv4Addr, base: u32, prefix: u8) -> bool {
    ip.to_bits() & mask_v4(prefix) == base
}

fn in_v6(ip: Ipv6Addr, base: u128, prefix: u8) -> bool {
    ip.to_bits() & mask_v6(prefix) == base
}

const fn v4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

const fn v6(segments: [u16; 8]) -> u128 {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Addr::new(a, b, c, d, e, f, g, h).to_bits()
}

/// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and successors), plus multicast and the
/// reserved 240/4 block (which holds the limited broadcast address).
const SPECIAL_V4: &[(u32, u8)] = &[
    (v4(0, 0, 0, 0), 8),       // "this network" (RFC 791), includes 0.0.0.0
    (v4(10, 0, 0, 0), 8),      // private (RFC 1918)
    (v4(100, 64, 0, 0), 10),   // shared address space, CGNAT (RFC 6598)
    (v4(127, 0, 0, 0), 8),     // loopback
    (v4(169, 254, 0, 0), 16),  // link-local, cloud metadata endpoints live here
    (v4(172, 16, 0, 0), 12),   // private
    (v4(192, 0, 0, 0), 24),    // IETF protocol assignments
    (v4(192, 0, 2, 0), 24),    // TEST-NET-1
    (v4(192, 88, 99, 0), 24),  // deprecated 6to4 relay anycast (RFC 7526)
    (v4(192, 168, 0, 0), 16),  // private
    (v4(198, 18, 0, 0), 15),   // benchmarking (RFC 2544)
    (v4(198, 51, 100, 0), 24), // TEST-NET-2
    (v4(203, 0, 113, 0), 24),  // TEST-NET-3
    (v4(224, 0, 0, 0), 4),     // multicast
    (v4(240, 0, 0, 0), 4),     // reserved, includes 255.255.255.255
];

/// IANA IPv6 Special-Purpose Address Registry, plus multicast and deprecated site-local.
/// `::/96` (IPv4-compatible, includes `::` and `::1`) and `::ffff:0:0/96` (IPv4-mapped) are judged
/// by their embedded IPv4 address before this table is consulted.
const SPECIAL_V6: &[(u128, u8)] = &[
    (v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0]), 96), // NAT64 well-known prefix (RFC 6052)
    (v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]), 48), // NAT64 local use (RFC 8215)
    (v6([0, 0, 0, 0, 0xffff, 0, 0, 0]), 96),    // SIIT IPv4-translated (RFC 2765)
    (v6([0x100, 0, 0, 0, 0, 0, 0, 0]), 64),     // discard-only (RFC 6666)
    (v6([0x100, 0, 0, 1, 0, 0, 0, 0]), 64),     // dummy prefix (RFC 9780)
    (v6([0x2001, 0, 0, 0, 0, 0, 0, 0]), 23),    // IETF protocol assignments, incl. Teredo
    (v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]), 32), // documentation (RFC 3849)
    (v6([0x2002, 0, 0, 0, 0, 0, 0, 0]), 16),    // 6to4: embeds an arbitrary IPv4 address
    (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0]), 20),    // documentation (RFC 9637)
    (v6([0x5f00, 0, 0, 0, 0, 0, 0, 0]), 16),    // SRv6 SIDs (RFC 9602)
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0]), 7),     // unique local (RFC 4193)
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]), 10),    // link-local
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0]), 10),    // site-local, deprecated (RFC 3879)
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0]), 8),     // multicast
];

/// Whether `ip` is loopback, unspecified, private, link-local, multicast, documentation or any other
/// special-purpose address that a server-side fetch must not reach by default.
pub fn is_special_use(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => SPECIAL_V4.iter().any(|&(base, len)| in_v4(ip, base, len)),
        IpAddr::V6(ip) => {
            if let Some(embedded) = ip.to_ipv4_mapped() {
                return is_special_use(IpAddr::V4(embedded));
            }
            if ip.to_bits() >> 32 == 0 {
                // IPv4-compatible (deprecated); `::` and `::1` land in 0.0.0.0/8.
                return is_special_use(IpAddr::V4(Ipv4Addr::from_bits(ip.to_bits() as u32)));
            }
            SPECIAL_V6.iter().any(|&(base, len)| in_v6(ip, base, len))
        }
    }
}

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

impl Default for OutboundPolicy {
    fn default() -> Self {
        OutboundPolicy {
            allow: Vec::new(),
            timeout: Duration::from_secs(5),
            max_response_bytes: 1024 * 1024,
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
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    /// The crate denies `unwrap`/`expect` everywhere; tests panic with the error instead.
    trait Must<T, E> {
        fn must(self) -> T;
        fn must_fail(self) -> E;
    }

    impl<T: fmt::Debug, E: fmt::Debug> Must<T, E> for Result<T, E> {
        fn must(self) -> T {
            self.unwrap_or_else(|e| panic!("{e:?}"))
        }
        fn must_fail(self) -> E {
            match self {
                Ok(value) => panic!("expected an error, got {value:?}"),
                Err(e) => e,
            }
        }
    }

    fn net(text: &str) -> Network {
        Network::parse(text).must()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().must()
    }

    fn outbound(allow: &[&str]) -> Outbound {
        Outbound::new(OutboundPolicy {
            allow: allow.iter().map(|n| net(n)).collect(),
            ..OutboundPolicy::default()
        })
        .must()
    }

    /// The request as the responder saw it: head (request line and headers) and body.
    #[derive(Debug)]
    struct Seen {
        head: String,
        body: Vec<u8>,
    }

    async fn read_request(stream: &mut tokio::net::TcpStream) -> Seen {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        let end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let n = stream.read(&mut chunk).await.must();
            assert!(n > 0, "client closed before sending a request");
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buf[..end].to_vec()).must();
        let length = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, value)| value.trim().parse::<usize>().must());
        let mut body = buf[end..].to_vec();
        while body.len() < length {
            let n = stream.read(&mut chunk).await.must();
            assert!(n > 0, "client closed mid-body");
            body.extend_from_slice(&chunk[..n]);
        }
        Seen { head, body }
    }

    /// Answers one request on 127.0.0.1 with `response` (raw HTTP/1.1 bytes), then holds the
    /// connection open for `linger`.
    async fn respond_once(response: Vec<u8>, linger: Duration) -> (SocketAddr, JoinHandle<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.must();
        let addr = listener.local_addr().must();
        let task = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.must();
            let seen = read_request(&mut stream).await;
            stream.write_all(&response).await.must();
            stream.flush().await.must();
            tokio::time::sleep(linger).await;
            seen
        });
        (addr, task)
    }

    async fn assert_no_connection(listener: &TcpListener) {
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "a connection reached the listener");
    }

    #[test]
    fn network_parse_accepts_cidr_blocks_and_displays_them_canonically() {
        assert_eq!(net("127.0.0.0/8").to_string(), "127.0.0.0/8");
        assert_eq!(net(" 10.0.0.0/8 ").to_string(), "10.0.0.0/8");
        assert_eq!(net("0.0.0.0/0").to_string(), "0.0.0.0/0");
        assert_eq!(net("192.0.2.7").to_string(), "192.0.2.7/32");
        assert_eq!(net("::1/128").to_string(), "::1/128");
        assert_eq!(net("::1").to_string(), "::1/128");
        assert_eq!(net("fd00:0:0::/8").to_string(), "fd00::/8");
        assert_eq!(net("::ffff:127.0.0.0/104").to_string(), "127.0.0.0/8");
        assert_eq!("10.1.0.0/16".parse::<Network>().must(), net("10.1.0.0/16"));
    }

    #[test]
    fn network_parse_rejects_bad_input() {
        for bad in [
            "10.0.0.0/33",
            "x",
            "::1/129",
            "",
            "10.0.0.0/",
            "/8",
            "10.0.0.0/+8",
            "10.0.0.0/-1",
            "10.0.0.0/08x",
            "10.0.0.0/8/8",
            "10.0.0/8",
            "010.0.0.0/8",
            "fe80::1%eth0/64",
            "10.0.0.1/8",
        ] {
            assert!(Network::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let hint = Network::parse("127.0.0.1/8").must_fail();
        assert!(hint.contains("127.0.0.0/8"), "{hint}");
    }

    #[test]
    fn network_contains_respects_prefix_and_family() {
        let loopback = net("127.0.0.0/8");
        assert!(loopback.contains(ip("127.0.0.1")));
        assert!(loopback.contains(ip("127.255.255.255")));
        assert!(!loopback.contains(ip("128.0.0.0")));
        assert!(loopback.contains(ip("::ffff:127.0.0.1")));
        assert!(!loopback.contains(ip("::1")));
        let private = net("172.16.0.0/12");
        assert!(private.contains(ip("172.31.255.255")));
        assert!(!private.contains(ip("172.32.0.0")));
        assert!(net("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(!net("0.0.0.0/0").contains(ip("2001:4860::8888")));
        let v6 = net("::1/128");
        assert!(v6.contains(ip("::1")));
        assert!(!v6.contains(ip("::2")));
        assert!(!v6.contains(ip("127.0.0.1")));
        assert!(net("fc00::/7").contains(ip("fdff:ffff::1")));
        assert!(!net("fc00::/7").contains(ip("fe00::1")));
        assert!(net("::/0").contains(ip("2001:4860::8888")));
    }

    #[test]
    fn special_use_addresses_are_recognised_in_both_families() {
        for special in [
            "127.0.0.1",
            "127.1.2.3",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.1",
            "203.0.113.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(is_special_use(ip(special)), "{special} not special-use");
        }
    }

    #[test]
    fn public_addresses_are_not_special_use() {
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "172.15.255.255",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "198.20.0.1",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "2001:4860:4860::8888",
            "2606:4700::1111",
            "2a00:1450::1",
        ] {
            assert!(!is_special_use(ip(public)), "{public} is special-use");
        }
    }

    #[tokio::test]
    async fn loopback_literal_is_refused_by_default_without_connecting() {
        let listener = TcpListener::bind("127.0.0.1:0").await.must();
        let port = listener.local_addr().must().port();
        let guard = outbound(&[]);
        for url in [
            format!("http://127.0.0.1:{port}/logout"),
            format!("http://[::ffff:127.0.0.1]:{port}/logout"),
            format!("http://0x7f.1:{port}/logout"),
        ] {
            let error = guard.post_form(&url, &[("logout_token", "abc")]).await;
            assert!(
                matches!(error, Err(OutboundError::Forbidden { ip: refused, .. })
                    if refused.to_canonical() == ip("127.0.0.1")),
                "{url}: {error:?}"
            );
        }
        let error = guard.get(&format!("http://[::1]:{port}/"), "*/*").await;
        assert!(
            matches!(error, Err(OutboundError::Forbidden { .. })),
            "{error:?}"
        );
        assert_no_connection(&listener).await;
    }

    #[tokio::test]
    async fn allowed_loopback_network_lets_post_form_through() {
        let (addr, seen) = respond_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_vec(),
            Duration::ZERO,
        )
        .await;
        let response = outbound(&["127.0.0.0/8", "::1/128"])
            .post_form(&format!("http://{addr}/logout"), &[("logout_token", "abc")])
            .await
            .must();
        assert_eq!(response.status, 200);
        assert_eq!(response.body, b"ok");
        let seen = seen.await.must();
        assert_eq!(seen.body, b"logout_token=abc");
        assert!(
            seen.head.starts_with("POST /logout HTTP/1.1\r\n"),
            "{}",
            seen.head
        );
        let head = seen.head.to_ascii_lowercase();
        assert!(head.contains("\r\nuser-agent: valet\r\n"), "{head}");
        assert!(
            head.contains("content-type: application/x-www-form-urlencoded"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn localhost_name_is_refused_by_the_resolver() {
        let listener = TcpListener::bind("127.0.0.1:0").await.must();
        let port = listener.local_addr().must().port();
        let error = outbound(&[])
            .get(&format!("http://localhost:{port}/jwks"), "application/json")
            .await;
        assert!(
            matches!(&error, Err(OutboundError::Forbidden { host, ip: refused })
                if host == "localhost" && refused.is_loopback()),
            "{error:?}"
        );
        assert_no_connection(&listener).await;
    }

    #[tokio::test]
    async fn localhost_name_resolves_when_loopback_is_allowed() {
        let (addr, seen) = respond_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
            Duration::ZERO,
        )
        .await;
        let response = outbound(&["127.0.0.0/8", "::1/128"])
            .get(
                &format!("http://localhost:{}/jwks", addr.port()),
                "application/json",
            )
            .await
            .must();
        assert_eq!(
            (response.status, response.body.as_slice()),
            (200, &b"{}"[..])
        );
        let head = seen.await.must().head.to_ascii_lowercase();
        assert!(head.contains("\r\naccept: application/json\r\n"), "{head}");
    }

    #[tokio::test]
    async fn redirects_are_returned_not_followed() {
        let elsewhere = TcpListener::bind("127.0.0.1:0").await.must();
        let target = elsewhere.local_addr().must();
        let (addr, _seen) = respond_once(
            format!(
                "HTTP/1.1 302 Found\r\nLocation: http://{target}/\r\nContent-Length: 0\r\n\r\n"
            )
            .into_bytes(),
            Duration::ZERO,
        )
        .await;
        let response = outbound(&["127.0.0.0/8"])
            .get(&format!("http://{addr}/"), "*/*")
            .await
            .must();
        assert_eq!(response.status, 302);
        assert_no_connection(&elsewhere).await;
    }

    fn small_limit(max_response_bytes: usize) -> Outbound {
        Outbound::new(OutboundPolicy {
            allow: vec![net("127.0.0.0/8")],
            timeout: Duration::from_secs(5),
            max_response_bytes,
        })
        .must()
    }

    #[tokio::test]
    async fn oversized_content_length_is_refused_before_reading_the_body() {
        // The body never arrives: only the header check can end this before the timeout.
        let (addr, _seen) = respond_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n".to_vec(),
            Duration::from_secs(10),
        )
        .await;
        let started = std::time::Instant::now();
        let error = small_limit(1024)
            .get(&format!("http://{addr}/"), "*/*")
            .await;
        assert!(
            matches!(error, Err(OutboundError::TooLarge(1024))),
            "{error:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn oversized_streamed_body_is_refused() {
        let mut response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..4 {
            response.extend_from_slice(b"400\r\n");
            response.extend_from_slice(&[b'a'; 0x400]);
            response.extend_from_slice(b"\r\n");
        }
        response.extend_from_slice(b"0\r\n\r\n");
        let (addr, _seen) = respond_once(response, Duration::ZERO).await;
        let error = small_limit(3000)
            .get(&format!("http://{addr}/"), "*/*")
            .await;
        assert!(
            matches!(error, Err(OutboundError::TooLarge(3000))),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn body_at_the_limit_is_accepted() {
        let mut response = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
        response.extend_from_slice(&[b'a'; 3000]);
        let (addr, _seen) = respond_once(response, Duration::ZERO).await;
        let ok = small_limit(3000)
            .get(&format!("http://{addr}/"), "*/*")
            .await
            .must();
        assert_eq!(ok.body.len(), 3000);
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.must();
        let addr = listener.local_addr().must();
        let _holder = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.must();
            tokio::time::sleep(Duration::from_secs(10)).await;
            drop(stream);
        });
        let guard = Outbound::new(OutboundPolicy {
            allow: vec![net("127.0.0.0/8")],
            timeout: Duration::from_millis(300),
            max_response_bytes: 1024,
        })
        .must();
        let started = std::time::Instant::now();
        let error = guard
            .post_form(&format!("http://{addr}/logout"), &[("logout_token", "abc")])
            .await;
        assert!(matches!(error, Err(OutboundError::Timeout)), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn userinfo_and_foreign_schemes_are_refused() {
        let guard = outbound(&["0.0.0.0/0", "::/0"]);
        let error = guard.get("http://user:pw@example.com/jwks", "*/*").await;
        assert!(
            matches!(error, Err(OutboundError::InvalidUrl(_))),
            "{error:?}"
        );
        let error = guard.get("https://user@example.com/jwks", "*/*").await;
        assert!(
            matches!(error, Err(OutboundError::InvalidUrl(_))),
            "{error:?}"
        );
        let error = guard.get("ftp://example.com/jwks", "*/*").await;
        assert!(
            matches!(&error, Err(OutboundError::NotHttp(s)) if s == "ftp"),
            "{error:?}"
        );
        let error = guard.get("file:///etc/passwd", "*/*").await;
        assert!(matches!(error, Err(OutboundError::NotHttp(_))), "{error:?}");
        let error = guard.get("not a url", "*/*").await;
        assert!(
            matches!(error, Err(OutboundError::InvalidUrl(_))),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn error_messages_never_carry_query_or_userinfo() {
        // A port nothing listens on: the connection is refused and reqwest reports an error.
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").await.must();
            listener.local_addr().must().port()
        };
        let guard = outbound(&["127.0.0.0/8"]);
        let error = guard
            .get(&format!("http://127.0.0.1:{port}/cb?secret=x#frag"), "*/*")
            .await
            .must_fail();
        let message = error.to_string();
        assert!(matches!(error, OutboundError::Http(_)), "{error:?}");
        assert!(
            message.contains(&format!("http://127.0.0.1:{port}/cb")),
            "{message}"
        );
        assert!(
            !message.contains("secret") && !message.contains("frag"),
            "{message}"
        );

        let error = guard
            .get("https://alice:hunter2@example.com/cb?secret=x", "*/*")
            .await
            .must_fail()
            .to_string();
        assert!(error.contains("https://example.com:443/cb"), "{error}");
        for leak in ["secret", "alice", "hunter2"] {
            assert!(!error.contains(leak), "{error}");
        }
        let error = outbound(&[])
            .get("http://10.0.0.1/cb?secret=x", "*/*")
            .await
            .must_fail()
            .to_string();
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn redaction_keeps_only_scheme_host_port_and_path() {
        let url = Url::parse("https://u:p@[::1]:8443/a/b?secret=x#f").must();
        assert_eq!(redacted(&url), "https://[::1]:8443/a/b");
    }
}
