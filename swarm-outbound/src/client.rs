//! The guard as fetchers use it: [`Guard::check_url`] for the URL itself
//! (scheme; a literal IP never reaches a resolver), [`GuardedClient`] —
//! a `reqwest` client resolving through the guard, with no proxy (a proxy
//! would resolve names where the guard cannot see) and a redirect policy
//! that re-checks every hop — and [`Guard::connect_tcp`] for protocols
//! `reqwest` does not speak (WebSockets).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use tokio::net::TcpStream;

use crate::resolve::{GuardedResolver, Lookup, SystemLookup, resolve};
use crate::{Policy, Refused};

/// Schemes of web fetches.
pub const HTTP_SCHEMES: &[&str] = &["http", "https"];
/// Schemes of WebSocket streams.
pub const WS_SCHEMES: &[&str] = &["ws", "wss"];

/// The outbound guard: a policy and where names are looked up.
#[derive(Clone)]
pub struct Guard {
    policy: Arc<Policy>,
    lookup: Arc<dyn Lookup>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Default for Guard {
    /// Refuses every non-public address, with the system resolver.
    fn default() -> Self {
        Self::new(Policy::default())
    }
}

/// The host of `url` as an address when it is a literal IP.
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

impl Guard {
    /// A guard enforcing `policy` with the system resolver.
    pub fn new(policy: Policy) -> Self {
        Self::with_lookup(policy, Arc::new(SystemLookup))
    }

    /// A guard enforcing `policy`, looking names up with `lookup`.
    pub fn with_lookup(policy: Policy, lookup: Arc<dyn Lookup>) -> Self {
        Self {
            policy: Arc::new(policy),
            lookup,
        }
    }

    /// The allow-list.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Checks what can be checked of `url` without resolving: its scheme
    /// is one of `schemes`, it has a host, and a literal IP host is
    /// allowed. Names are checked when they resolve.
    ///
    /// # Errors
    ///
    /// The scheme, a missing host or the literal address is refused.
    pub fn check_url_schemes(&self, url: &Url, schemes: &[&str]) -> Result<(), Refused> {
        if !schemes.contains(&url.scheme()) {
            return Err(Refused::Scheme(url.scheme().to_string()));
        }
        let host = url.host_str().ok_or(Refused::NoHost)?;
        match literal_ip(url) {
            Some(ip) => self.policy.check(host, ip),
            None => Ok(()),
        }
    }

    /// [`Guard::check_url_schemes`] for http and https.
    ///
    /// # Errors
    ///
    /// As [`Guard::check_url_schemes`].
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        self.check_url_schemes(url, HTTP_SCHEMES)
    }

    /// The `reqwest` resolver enforcing this guard.
    pub fn resolver(&self) -> GuardedResolver {
        GuardedResolver::new(self.policy.clone(), self.lookup.clone())
    }

    /// A redirect policy following at most `max` redirects, each hop
    /// checked with [`Guard::check_url`] (its name is checked again when
    /// it resolves).
    pub fn redirect_policy(&self, max: usize) -> reqwest::redirect::Policy {
        let guard = self.clone();
        reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max {
                return attempt.error(Refused::TooManyRedirects(max));
            }
            match guard.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(refused) => attempt.error(refused),
            }
        })
    }

    /// The allowed addresses of `host`:`port` (a literal IP is checked as
    /// it is).
    ///
    /// # Errors
    ///
    /// The name does not resolve or every address is refused.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ips = match bare.parse::<IpAddr>() {
            Ok(ip) => {
                self.policy.check(host, ip)?;
                vec![ip]
            }
            Err(_) => resolve(&self.policy, self.lookup.as_ref(), bare).await?,
        };
        Ok(ips
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect())
    }

    /// A TCP connection to an allowed address of `host`:`port` (the first
    /// that answers).
    ///
    /// # Errors
    ///
    /// Refused (as [`Guard::resolve`], as an `io::Error` of kind
    /// `PermissionDenied` whose inner error is the [`Refused`]) or no
    /// address answered.
    pub async fn connect_tcp(&self, host: &str, port: u16) -> std::io::Result<TcpStream> {
        let addrs = self
            .resolve(host, port)
            .await
            .map_err(|r| std::io::Error::new(std::io::ErrorKind::PermissionDenied, r))?;
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no address")))
    }
}

/// A `reqwest` client whose every connection goes through a [`Guard`].
#[derive(Debug, Clone)]
pub struct GuardedClient {
    http: reqwest::Client,
    guard: Guard,
}

impl GuardedClient {
    /// Finishes `builder` (timeouts, User-Agent, … already set) with the
    /// guard's resolver, no proxy and a redirect policy of at most
    /// `max_redirects` checked hops (0: redirects are not followed).
    ///
    /// # Errors
    ///
    /// The client cannot be built (TLS setup).
    pub fn build(
        guard: Guard,
        builder: reqwest::ClientBuilder,
        max_redirects: usize,
    ) -> reqwest::Result<Self> {
        let redirects = if max_redirects == 0 {
            reqwest::redirect::Policy::none()
        } else {
            guard.redirect_policy(max_redirects)
        };
        let http = builder
            .no_proxy()
            .dns_resolver(guard.resolver())
            .redirect(redirects)
            .build()?;
        Ok(Self { http, guard })
    }

    /// The guard.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// A request to `url` once [`Guard::check_url`] allows it.
    ///
    /// # Errors
    ///
    /// The URL is refused.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: Url,
    ) -> Result<reqwest::RequestBuilder, Refused> {
        self.guard.check_url(&url)?;
        Ok(self.http.request(method, url))
    }

    /// A GET of `url` once the guard allows it.
    ///
    /// # Errors
    ///
    /// The URL is refused.
    pub fn get(&self, url: Url) -> Result<reqwest::RequestBuilder, Refused> {
        self.request(reqwest::Method::GET, url)
    }
}

/// The guard's refusal behind a `reqwest` (or I/O) error, if that is
/// what failed it.
pub fn refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(refused) = inner.downcast_ref::<Refused>()
        {
            return Some(refused);
        }
        current = e.source();
    }
    None
}
