//! scraping-specialist: fetches sources politely and cheaply and turns
//! their items into documents.
//!
//! - [`fetch`] — HTTP with a clear User-Agent, timeouts, gzip/brotli, a
//!   bounded number of redirects, a body-size cap, conditional GET with
//!   validators kept in the shared memory, per-host rate limits shared by
//!   every replica, robots.txt ([`robots`]) honoured;
//! - [`parse`] — RSS 2.0, Atom and JSON Feed (feed-rs), JSON APIs (field
//!   mapping), HTML pages (CSS selectors) into items with the markup
//!   removed; a broken body is an error, never a crash;
//! - [`linked`] — the main text of the page a headline-only item links
//!   to, fetched as politely as a source ([`parse::article`] extracts it);
//! - [`language`] — the document's language, stated or detected (ISO 639-1);
//! - [`x_search`] — X recent search requests with a `since_id` cursor;
//! - [`push`] — WebSocket announcement streams, one listener per source
//!   across replicas;
//! - [`emit`] — first-seen dedup by canonical URL/GUID, a `Document`
//!   finding per new item and an `AnalyzeDocument` follow-up;
//! - [`handler`] — the agent's `FetchSource` handler tying them together;
//! - [`guard`] — the source's shared circuit breaker around every fetch,
//!   and a per-poll sample (latency, new items) for the optimizer;
//! - [`build`] — the agent as a component from its [`Config`].

pub mod emit;
pub mod fetch;
pub mod guard;
pub mod handler;
pub mod language;
pub mod linked;
pub mod parse;
pub mod push;
pub mod robots;
pub mod x_search;

use std::sync::Arc;

use agent_runtime::{AgentContext, Component};
use swarm_memory::reliability::{BreakerPolicy, SharedBreaker};
use swarm_proto::AgentKind;

/// Concurrent fetches per replica unless the operator says otherwise.
pub const DEFAULT_CAPACITY: u32 = 16;

/// Settings of the scraping-specialist agent.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// How sources are fetched (User-Agent, timeouts, caps, host rates, robots.txt).
    pub fetch: fetch::FetchOptions,
    /// Bearer token of the X API (x_search sources).
    pub x_bearer_token: Option<String>,
    /// The only origin the X token is sent to (empty:
    /// [`x_search::DEFAULT_API_BASE`]).
    pub x_api_base: String,
    /// How the pages of headline-only items are read.
    pub linked: linked::LinkedOptions,
    /// The sources' shared circuit breaker (also guards linked pages).
    pub breaker: BreakerPolicy,
}

/// The scraping-specialist agent over `context`: fetch, parse, emit,
/// guarded by each source's shared breaker.
///
/// # Errors
///
/// The HTTP client cannot be built (TLS roots).
pub fn build(config: Config, context: &AgentContext) -> anyhow::Result<Component> {
    let memory = &context.memory;
    let fetcher = fetch::Fetcher::new(memory.clone(), config.fetch)?;
    let settings = handler::ScrapeSettings {
        queen_addr: Some(context.queen.clone()),
        x_bearer_token: config.x_bearer_token,
        x_api_base: config.x_api_base,
        linked: linked::LinkedOptions {
            breaker: config.breaker.clone(),
            ..config.linked
        },
    };
    let scrape = handler::ScrapeHandler::new(
        fetcher,
        memory.clone(),
        context.findings(AgentKind::ScrapingSpecialist),
        settings,
    );
    let guarded = guard::Guarded::new(
        scrape,
        memory.clone(),
        SharedBreaker::new(memory.clone(), config.breaker),
    );
    Ok(Component::new(
        AgentKind::ScrapingSpecialist,
        DEFAULT_CAPACITY,
        Arc::new(guarded),
    ))
}
