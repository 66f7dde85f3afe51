//! The outbound guard shared by every fetcher of the swarm (the scraper's
//! feeds, linked pages, robots.txt and WebSocket streams; api-reliability's
//! source probes).
//!
//! A URL a task names may point anywhere; without a guard a task could make
//! an agent read its own metrics port, the cloud metadata service
//! (169.254.169.254) or a database on the private network. The guard:
//!
//! - [`addr`] — which addresses are not public (loopback, RFC 1918,
//!   CGNAT, link-local, ULA, multicast, documentation, benchmarking,
//!   reserved, and IPv6 forms embedding such an IPv4 address);
//! - [`policy`] — the allow-list from configuration (CIDRs and exact host
//!   names); the default allows no non-public address;
//! - [`resolve`] — a `reqwest` DNS resolver that drops refused answers, so
//!   every connection (the first request, each redirect, a DNS answer that
//!   changed since the last request) is checked where it is made;
//! - [`client`] — [`Guard`]: the URL check for literal IPs and schemes, the
//!   redirect policy re-checking every hop, a guarded `reqwest` client and
//!   a guarded TCP connect for WebSockets.

pub mod addr;
pub mod client;
pub mod policy;
pub mod resolve;

pub use addr::non_public;
pub use client::{Guard, GuardedClient, refusal};
pub use policy::{Cidr, Policy};
pub use resolve::{GuardedResolver, Lookup, SystemLookup};

use std::net::IpAddr;

/// Why the guard refused a destination.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The host is, or resolved only to, a non-public address that is not
    /// allow-listed.
    #[error(
        "outbound connection to `{host}` refused: {ip} is a {range} address (not on the outbound allow-list)"
    )]
    Address {
        /// The host as the URL names it.
        host: String,
        /// The (first) refused address.
        ip: IpAddr,
        /// The range it falls in (`loopback`, `private`, …).
        range: &'static str,
    },
    /// The URL's scheme is not one the fetcher may use.
    #[error("outbound connection refused: scheme `{0}` is not allowed")]
    Scheme(String),
    /// The URL has no host.
    #[error("outbound connection refused: the URL has no host")]
    NoHost,
    /// Too many redirects.
    #[error("outbound connection refused: more than {0} redirects")]
    TooManyRedirects(usize),
    /// The name did not resolve.
    #[error("cannot resolve `{host}`: {message}")]
    Resolve {
        /// The name.
        host: String,
        /// The resolver's error.
        message: String,
    },
}
