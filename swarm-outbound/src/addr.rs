//! Which addresses are not public: the ranges an outbound fetch may not
//! reach unless the operator allow-lists them. IPv6 addresses that embed an
//! IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`,
//! NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The name of the non-public range `ip` falls in, or `None` for a public
/// (globally routable unicast) address.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

/// `ip` with an IPv4-mapped IPv6 address turned into its IPv4 address
/// (what the socket actually reaches).
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "unspecified (this-network)"),
        ([10, 0, 0, 0], 8, "private"),
        ([100, 64, 0, 0], 10, "shared (CGNAT)"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 0, 0, 0], 24, "IETF protocol assignment"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "6to4 relay"),
        ([192, 168, 0, 0], 16, "private"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([255, 255, 255, 255], 32, "broadcast"),
        ([240, 0, 0, 0], 4, "reserved"),
    ];
    RANGES
        .iter()
        .find(|(net, bits, _)| in_v4(ip, *net, *bits))
        .map(|(_, _, name)| *name)
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, bits: u32) -> bool {
    let mask = if bits == 0 {
        0
    } else {
        u128::MAX << (128 - bits)
    };
    u128::from(ip) & mask == u128::from(net) & mask
}

fn embedded_v4(ip: Ipv6Addr, shift: u32) -> Ipv4Addr {
    // the 32 bits `shift` bits above the lowest bit
    Ipv4Addr::from(((u128::from(ip) >> shift) & 0xffff_ffff) as u32)
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    let v6 = |s: &str| s.parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED);
    // IPv4-compatible (deprecated): judged by the embedded address, and
    // never public anyway
    if in_v6(ip, Ipv6Addr::UNSPECIFIED, 96) {
        return Some(non_public_v4(embedded_v4(ip, 0)).unwrap_or("IPv4-compatible"));
    }
    if in_v6(ip, v6("64:ff9b::"), 96) {
        return non_public_v4(embedded_v4(ip, 0));
    }
    if in_v6(ip, v6("2002::"), 16) {
        return non_public_v4(embedded_v4(ip, 80));
    }
    const RANGES: &[(&str, u32, &str)] = &[
        ("64:ff9b:1::", 48, "local-use NAT64"),
        ("100::", 64, "discard-only"),
        ("2001::", 23, "IETF protocol assignment"),
        ("2001:db8::", 32, "documentation"),
        ("3fff::", 20, "documentation"),
        ("fc00::", 7, "unique local"),
        ("fe80::", 10, "link-local"),
        ("fec0::", 10, "site-local"),
        ("ff00::", 8, "multicast"),
    ];
    if let Some((_, _, name)) = RANGES
        .iter()
        .find(|(net, bits, _)| in_v6(ip, v6(net), *bits))
    {
        return Some(name);
    }
    // global unicast is 2000::/3; everything else is reserved
    (!in_v6(ip, v6("2000::"), 3)).then_some("reserved")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(ip: &str) -> Option<&'static str> {
        non_public(ip.parse().expect("an address"))
    }

    #[test]
    fn ipv4_ranges() {
        for (ip, range) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "shared (CGNAT)"),
            ("100.127.255.254", "shared (CGNAT)"),
            ("169.254.169.254", "link-local"),
            ("0.0.0.0", "unspecified (this-network)"),
            ("224.0.0.251", "multicast"),
            ("255.255.255.255", "broadcast"),
            ("240.0.0.1", "reserved"),
            ("192.0.2.10", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.5", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.1", "benchmarking"),
            ("192.0.0.8", "IETF protocol assignment"),
        ] {
            assert_eq!(class(ip), Some(range), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.1.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
        ] {
            assert_eq!(class(ip), None, "{ip} is public");
        }
    }

    #[test]
    fn ipv6_ranges_and_embedded_ipv4() {
        for (ip, range) in [
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("fc00::1", "unique local"),
            ("fd12:3456::1", "unique local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("fec0::1", "site-local"),
            ("100::1", "discard-only"),
            // IPv4-mapped: judged as the IPv4 address they reach
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("::ffff:10.0.0.1", "private"),
            ("::ffff:192.168.0.1", "private"),
            // IPv4-compatible, NAT64 and 6to4 forms of private addresses
            ("::127.0.0.1", "loopback"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("2002:c0a8:0101::1", "private"),
            ("2002:7f00:0001::", "loopback"),
        ] {
            assert_eq!(class(ip), Some(range), "{ip}");
        }
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert_eq!(class(ip), None, "{ip} is public");
        }
        assert_eq!(class("::8.8.8.8"), Some("IPv4-compatible"));
        assert_eq!(class("4000::1"), Some("reserved"));
    }

    #[test]
    fn mapped_addresses_become_ipv4() {
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().expect("an address");
        assert_eq!(canonical(mapped), IpAddr::V4(Ipv4Addr::LOCALHOST));
        let plain: IpAddr = "2606:4700::1".parse().expect("an address");
        assert_eq!(canonical(plain), plain);
    }
}
