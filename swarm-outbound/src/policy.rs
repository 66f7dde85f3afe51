//! The outbound allow-list: which non-public destinations the operator
//! lets fetchers reach anyway (a feed on the private network, the tests'
//! loopback servers). Entries are CIDRs (`127.0.0.1/32`, `10.20.0.0/16`,
//! `fd00::/8`), single addresses, or exact host names (`feeds.internal`:
//! that name may resolve to any address). Public addresses need no entry;
//! an empty list (the default) allows no non-public address.
//!
//! Agents take it from `--outbound-allow` / `SWARM_OUTBOUND_ALLOW`
//! (comma separated).

use std::net::IpAddr;

use crate::Refused;
use crate::addr::{canonical, non_public};

/// An address range (IPv4-mapped IPv6 forms are matched as IPv4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    bits: u32,
}

/// An allow-list entry that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid outbound allow-list entry `{0}` (a CIDR, an address or a host name)")]
pub struct InvalidEntry(pub String);

impl Cidr {
    /// Parses `10.0.0.0/8`, `fd00::/8` or a single address.
    ///
    /// # Errors
    ///
    /// Not an address, or a prefix longer than the address.
    pub fn parse(text: &str) -> Result<Self, InvalidEntry> {
        let bad = || InvalidEntry(text.to_string());
        let (ip, bits) = match text.split_once('/') {
            Some((ip, bits)) => (ip, Some(bits.parse::<u32>().map_err(|_| bad())?)),
            None => (text, None),
        };
        let network = canonical(ip.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        if bits > max {
            return Err(bad());
        }
        Ok(Self { network, bits })
    }

    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - self.bits).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - self.bits).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Which non-public destinations are allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    nets: Vec<Cidr>,
    hosts: Vec<String>,
}

fn normalize_host(host: &str) -> String {
    host.trim()
        .trim_end_matches('.')
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

impl Policy {
    /// No non-public destination allowed (the default).
    pub fn deny_non_public() -> Self {
        Self::default()
    }

    /// A policy from entries (CIDRs, addresses, host names); blank entries
    /// are skipped.
    ///
    /// # Errors
    ///
    /// An entry that is neither a CIDR/address nor a host name.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, InvalidEntry> {
        let mut policy = Self::default();
        for entry in entries.iter().map(|e| e.as_ref().trim()) {
            if entry.is_empty() {
                continue;
            }
            if entry.contains('/') || entry.parse::<IpAddr>().is_ok() {
                policy.nets.push(Cidr::parse(entry)?);
            } else if entry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            {
                policy.hosts.push(normalize_host(entry));
            } else {
                return Err(InvalidEntry(entry.to_string()));
            }
        }
        Ok(policy)
    }

    /// A policy from a comma- or space-separated list (an environment
    /// variable's value).
    ///
    /// # Errors
    ///
    /// As [`Policy::parse`].
    pub fn from_list(list: &str) -> Result<Self, InvalidEntry> {
        let entries: Vec<&str> = list.split([',', ' ', '\n']).collect();
        Self::parse(&entries)
    }

    /// This policy with `other`'s entries added.
    #[must_use]
    pub fn with(mut self, other: &Policy) -> Self {
        self.nets.extend(other.nets.iter().copied());
        self.hosts.extend(other.hosts.iter().cloned());
        self
    }

    /// Whether nothing non-public is allowed.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && self.hosts.is_empty()
    }

    /// Whether `host` is allow-listed by name (it may then resolve anywhere).
    pub fn allows_host(&self, host: &str) -> bool {
        let host = normalize_host(host);
        self.hosts.contains(&host)
    }

    /// Checks one address `host` resolved to (or is).
    ///
    /// # Errors
    ///
    /// The address is not public and not allow-listed.
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        let Some(range) = non_public(ip) else {
            return Ok(());
        };
        if self.nets.iter().any(|n| n.contains(ip)) || self.allows_host(host) {
            return Ok(());
        }
        Err(Refused::Address {
            host: host.to_string(),
            ip: canonical(ip),
            range,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn cidrs_match_their_range_and_mapped_forms() {
        let net = Cidr::parse("127.0.0.1/32").expect("a CIDR");
        assert!(net.contains(ip("127.0.0.1")));
        assert!(net.contains(ip("::ffff:127.0.0.1")));
        assert!(!net.contains(ip("127.0.0.2")));
        let wide = Cidr::parse("10.0.0.0/8").expect("a CIDR");
        assert!(wide.contains(ip("10.255.1.1")) && !wide.contains(ip("11.0.0.1")));
        let ula = Cidr::parse("fd00::/8").expect("a CIDR");
        assert!(ula.contains(ip("fd12::1")) && !ula.contains(ip("fc00::1")));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .expect("a CIDR")
                .contains(ip("8.8.8.8"))
        );
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("10.0.0/8").is_err());
    }

    #[test]
    fn the_default_refuses_every_non_public_address() {
        let policy = Policy::default();
        assert!(policy.check("h", ip("93.184.215.14")).is_ok());
        for bad in [
            "127.0.0.1",
            "169.254.169.254",
            "10.0.0.1",
            "::1",
            "::ffff:127.0.0.1",
        ] {
            let refused = policy.check("h", ip(bad));
            assert!(matches!(refused, Err(Refused::Address { .. })), "{bad}");
        }
        // the refused address is reported as the IPv4 address it reaches
        assert_eq!(
            policy.check("h", ip("::ffff:10.0.0.1")),
            Err(Refused::Address {
                host: "h".into(),
                ip: ip("10.0.0.1"),
                range: "private"
            })
        );
    }

    #[test]
    fn entries_allow_ranges_and_host_names() {
        let policy =
            Policy::from_list("127.0.0.1/32, feeds.internal.,10.9.0.0/16").expect("a list");
        assert!(policy.check("x", ip("127.0.0.1")).is_ok());
        assert!(policy.check("x", ip("127.0.0.2")).is_err());
        assert!(policy.check("x", ip("10.9.3.4")).is_ok());
        assert!(policy.check("Feeds.Internal", ip("192.168.1.1")).is_ok());
        assert!(policy.check("other.internal", ip("192.168.1.1")).is_err());
        assert!(Policy::from_list("").expect("empty").is_empty());
        assert!(Policy::from_list("http://x/").is_err());
    }
}
