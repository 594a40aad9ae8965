//! IP networks for the outbound guard ([`super::Outbound`]): [`Network`], a CIDR block as an
//! operator writes it in the allow list (parsing, containment, display), and [`is_special_use`],
//! the IANA IPv4 and IPv6 special-purpose address registries that a server-side fetch must not
//! reach unless the operator allowed the network.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::test_support::{Must, ip, net};

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
}
