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
//! - [`handler`] — the agent's `FetchSource` handler tying them together.
//! - [`guard`] — the source's shared circuit breaker around every fetch,
//!   and a per-poll sample (latency, new items) for the optimizer.

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
