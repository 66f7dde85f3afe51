//! The queen: a durable, prioritized task queue leased to agents over gRPC.
//!
//! Layout:
//! - [`scheduler`] — the in-memory state machine (priorities with aging,
//!   per-kind queues, credits, fenced leases, retries, dead letters, dedup,
//!   pause, schedules). No I/O.
//! - [`persister`] — group commit of the scheduler's changes to a
//!   [`store::Store`] (PostgreSQL, or memory for tests).
//! - [`handle`] — [`Queen`], the cheap-to-clone handle that owns the
//!   scheduler lock, the timers and the durable-submit path.
//! - [`grpc`] — `AgentGateway` and `QueenAdmin` services.
//! - [`auth`] — credentials of the gRPC surface (tokens kept as hashes,
//!   roles bound to agent kinds, optional mTLS).
//! - [`run`] — wires config, store, credentials, gRPC, health, reflection and the ops
//!   endpoint, and shuts down gracefully.
//! - `breakers` — holds the polls of sources whose shared circuit breaker
//!   is open (with `memory_url` set), lets the half-open probe through;
//! - [`api_keys`] — the query API's keys the admin service administers;
//! - [`api_schedules`] — the schedules the query API lists sources from
//!   (in-process, or over gRPC for `--api-only`);
//! - [`client`] — connecting to a queen (used by `queenctl`, agents, tests).
//! - [`api_only`] — the `--api-only` mode: the HTTP query API alone.

pub mod api_keys;
pub mod api_only;
pub mod api_schedules;
pub mod auth;
mod breakers;
/// Connecting to a queen: the `queen-client` crate, re-exported.
pub use queen_client as client;
pub mod config;
pub mod grpc;
pub mod handle;
mod metrics_loop;
pub mod persister;
pub mod run;
pub mod scheduler;
pub mod sources;
pub mod store;

pub use config::QueenConfig;
pub use handle::Queen;
pub use run::{Running, run, start};
