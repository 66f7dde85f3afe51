//! The TGE event model, written once, and the backends that only load and
//! persist it. This crate owns every event table and its migrations
//! (`migrations/`: documents, candidates, hot spots, events, evidence,
//! history, the change sequence).
//!
//! The pure model (no I/O):
//! - [`report`] — what the synthesis reads ([`Report`], [`Record`]);
//! - [`keys`] — the normalized identity (project key, symbol key);
//! - [`link`] — which document URLs are kept as evidence links (http/https);
//! - [`state`] — [`EventState`] and [`EventState::absorb`]: one report
//!   into one event (evidence, corroboration, noisy-or confidence, date
//!   precision, version);
//! - [`route`] — which event of a project a report joins (ticker adoption,
//!   status-only reports);
//! - [`plan`] — a batch of reports over the loaded events: outcomes and
//!   the [`plan::Changes`] to persist;
//! - [`filter`] — listing: parameters, matching, order, cursors;
//! - [`calendar`] — dates (chrono): RFC 3339, days, period starts;
//! - [`change`] — [`EventChange`] notices and [`Applied`]s;
//! - [`view`] — what readers return.
//!
//! Backends ([`store::Synthesis`] and [`store::Reader`]):
//! - [`postgres`] — [`PgEvents`]: lock, load `FOR UPDATE`, persist;
//! - [`memory`] — [`MemoryEvents`]: in process, optionally journaled.

pub mod calendar;
pub mod change;
pub mod error;
pub mod filter;
pub mod keys;
pub mod link;
pub mod memory;
pub mod plan;
pub mod postgres;
pub mod report;
pub mod route;
pub mod state;
pub mod store;
pub mod view;

pub use change::{Applied, EventChange};
pub use error::Error;
pub use filter::Filter;
pub use keys::{project_key, symbol_key};
pub use memory::{DocumentRecord, MemoryEvents};
pub use postgres::PgEvents;
pub use report::{Candidate, Document, HotSpots, Record, Report};
pub use state::EventState;
pub use store::{Reader, Synthesis};
pub use swarm_types::finding::Status;
