//! The memory coordinator: consumes the findings stream of the shared
//! memory (`swarm-memory`) and turns findings into TGE events.
//!
//! - [`synth`] — idempotent synthesis of findings into TGE events through
//!   [`tge_events`] (documents, events, evidence, history), in PostgreSQL
//!   or process memory;
//! - [`service`] — the coordinator process: consumer group loop, claiming
//!   of dead consumers' entries, notices, HTTP query, ops endpoints.

pub mod service;
pub mod synth;
