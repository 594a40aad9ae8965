//! The client's address, for throttling and the session list: the TCP peer, or when the peer is a
//! trusted reverse proxy (`trusted_proxies`), the address the proxies report in `X-Forwarded-For`.
//! That header is read from the right, because a client can send one of its own and each proxy
//! appends what it saw: the first entry that is not itself a trusted proxy is the client. Without
//! trusted proxies the header is ignored (anyone could forge it).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use actix_web::HttpRequest;

use crate::outbound::Network;

const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address (`None` only when the connection has no peer address, as in some tests).
pub fn client_ip(req: &HttpRequest, trusted: &[Network]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    // Split the raw bytes: one entry that is not text (a client's, say) must not take the
    // proxies' entries of the same header down with it.
    let entries: Vec<&[u8]> = req
        .headers()
        .get_all(FORWARDED_FOR)
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        // Garbage ends the trusted chain: the last proxy that wrote sense is the best known.
        let Some(ip) = parse_entry(entry) else { break };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`, `[2001:db8::1]:5`).
fn parse_entry(entry: &[u8]) -> Option<IpAddr> {
    let entry = std::str::from_utf8(entry).ok()?.trim();
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            let inner = entry.strip_prefix('[')?.strip_suffix(']')?;
            inner.parse::<IpAddr>().ok()
        })?;
    Some(ip.to_canonical())
}

/// The address as the throttle counts it: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber's usual allocation: counting single IPv6 addresses would give each guesser 2^64
/// counters).
pub fn throttled_address(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = Ipv6Addr::from_bits(v6.to_bits() & !((1u128 << 64) - 1));
            format!("{prefix}/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn request(peer: &str, forwarded: &[&str]) -> HttpRequest {
        let mut req =
            TestRequest::default().peer_addr(peer.parse().unwrap_or_else(|e| panic!("{e}")));
        for value in forwarded {
            req = req.append_header((FORWARDED_FOR, *value));
        }
        req.to_http_request()
    }

    fn nets(list: &[&str]) -> Vec<Network> {
        list.iter()
            .map(|n| Network::parse(n).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let req = request("198.51.100.7:4000", &["203.0.113.9"]);
        assert_eq!(client_ip(&req, &[]), ip("198.51.100.7"));
        assert_eq!(client_ip(&req, &nets(&["10.0.0.0/8"])), ip("198.51.100.7"));
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let proxies = nets(&["10.0.0.0/8"]);
        let one = request("10.0.0.2:4000", &["203.0.113.9"]);
        assert_eq!(client_ip(&one, &proxies), ip("203.0.113.9"));
        // The client forged the first entry; the proxies appended the rest.
        let forged = request("10.0.0.2:4000", &["1.2.3.4, 203.0.113.9", "10.0.0.5"]);
        assert_eq!(client_ip(&forged, &proxies), ip("203.0.113.9"));
        let with_ports = request("10.0.0.2:4000", &["[2001:db8::1]:443, 10.0.0.5:80"]);
        assert_eq!(client_ip(&with_ports, &proxies), ip("2001:db8::1"));
        let all_proxies = request("10.0.0.2:4000", &["10.0.0.9, 10.0.0.5"]);
        assert_eq!(client_ip(&all_proxies, &proxies), ip("10.0.0.9"));
        let none = request("10.0.0.2:4000", &[]);
        assert_eq!(client_ip(&none, &proxies), ip("10.0.0.2"));
        let garbage = request("10.0.0.2:4000", &["203.0.113.9, not-an-ip, 10.0.0.5"]);
        assert_eq!(
            client_ip(&garbage, &proxies),
            ip("10.0.0.5"),
            "stops at garbage"
        );
        let value = actix_web::http::header::HeaderValue::from_bytes(b"\xff\xfe, 203.0.113.9")
            .unwrap_or_else(|e| panic!("{e}"));
        let binary = TestRequest::default()
            .peer_addr("10.0.0.2:4000".parse().unwrap_or_else(|e| panic!("{e}")))
            .append_header((FORWARDED_FOR, value))
            .to_http_request();
        assert_eq!(
            client_ip(&binary, &proxies),
            ip("203.0.113.9"),
            "a client's non-text entry does not hide the proxy's"
        );
    }

    #[test]
    fn ipv6_addresses_are_counted_by_their_64() {
        let a = throttled_address(
            "2001:db8:1:2:aaaa::1"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let b = throttled_address(
            "2001:db8:1:2:bbbb::2"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(
            (a.as_str(), b.as_str()),
            ("2001:db8:1:2::/64", "2001:db8:1:2::/64")
        );
        let v4 = throttled_address("::ffff:192.0.2.1".parse().unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(
            v4, "192.0.2.1",
            "an IPv4-mapped address is its IPv4 address"
        );
    }
}
