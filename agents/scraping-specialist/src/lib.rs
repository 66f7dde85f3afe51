//! scraping-specialist: fetches sources politely and cheaply and turns
//! their items into documents.
//!
//! - [`fetch`] — HTTP with a clear User-Agent, timeouts, gzip/brotli, a
//!   bounded number of redirects, a body-size cap, conditional GET with
//!   validators kept in the shared memory, and per-host rate limits shared
//!   by every replica;
//! - [`parse`] — RSS 2.0, Atom and JSON Feed (feed-rs) into items with the
//!   markup removed; a broken feed is an error, never a crash;
//! - [`handler`] — the agent's `FetchSource` handler: first-seen dedup by
//!   canonical URL/GUID, a `Document` finding per new item and an
//!   `AnalyzeDocument` follow-up for keyword-precision;
//! - [`guard`] — the source's shared circuit breaker around every fetch,
//!   and a per-poll sample (latency, new items) for the optimizer.

pub mod fetch;
pub mod guard;
pub mod handler;
pub mod parse;
