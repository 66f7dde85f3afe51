//! Name resolution through the guard: a `reqwest` resolver that looks a
//! name up and keeps only the answers the [`Policy`] allows. Every
//! connection `reqwest` opens for a name — the first request, each
//! redirect, a reconnect after the name's answer changed — resolves here,
//! so a name that turns private between two requests is refused the
//! moment it does.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use crate::{Policy, Refused};

/// A future of a lookup's answers.
pub type LookupFuture = Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send>>;

/// Where names are looked up (the system resolver; tests put a fixed
/// table in its place).
pub trait Lookup: Send + Sync + 'static {
    /// The addresses of `host`.
    fn lookup(&self, host: &str) -> LookupFuture;
}

/// The system resolver (`getaddrinfo` through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> LookupFuture {
        let host = host.to_string();
        Box::pin(async move {
            let answers = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(answers.map(|a| a.ip()).collect())
        })
    }
}

/// Resolves `host` through `lookup` and keeps the addresses `policy`
/// allows.
///
/// # Errors
///
/// The name does not resolve, or every answer is refused (the first
/// refusal is returned).
pub async fn resolve(
    policy: &Policy,
    lookup: &dyn Lookup,
    host: &str,
) -> Result<Vec<IpAddr>, Refused> {
    let answers = lookup.lookup(host).await.map_err(|e| Refused::Resolve {
        host: host.to_string(),
        message: e.to_string(),
    })?;
    let mut first_refusal = None;
    let mut allowed = Vec::new();
    for ip in answers {
        match policy.check(host, ip) {
            Ok(()) => allowed.push(ip),
            Err(refused) => {
                first_refusal.get_or_insert(refused);
            }
        }
    }
    if allowed.is_empty() {
        return Err(first_refusal.unwrap_or_else(|| Refused::Resolve {
            host: host.to_string(),
            message: "no address".into(),
        }));
    }
    Ok(allowed)
}

/// The `reqwest` resolver of guarded clients.
#[derive(Clone)]
pub struct GuardedResolver {
    policy: Arc<Policy>,
    lookup: Arc<dyn Lookup>,
}

impl GuardedResolver {
    /// Resolves with `lookup`, keeping what `policy` allows.
    pub fn new(policy: Arc<Policy>, lookup: Arc<dyn Lookup>) -> Self {
        Self { policy, lookup }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (policy, lookup) = (self.policy.clone(), self.lookup.clone());
        let host = name.as_str().to_string();
        Box::pin(async move {
            let allowed = resolve(&policy, lookup.as_ref(), &host).await?;
            let addrs: reqwest::dns::Addrs =
                Box::new(allowed.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
