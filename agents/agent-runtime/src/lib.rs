//! The runtime every specialist agent is built on. A specialist supplies a
//! [`Handler`]; the runtime does the rest:
//!
//! - connects to the queen's `AgentGateway`, says hello (id, kind, version,
//!   capacity) and reconnects with exponential backoff and jitter;
//! - grants credits so it never holds more tasks than its capacity, runs
//!   handlers concurrently, returns results (with follow-up tasks) in
//!   batches together with the freed credits;
//! - heartbeats the leases it is working on; aborts a task the queen
//!   cancels; drops everything in flight when the stream is lost (the
//!   queen has already redelivered it);
//! - drains on SIGTERM or a queen `Drain`: takes nothing new, finishes what
//!   it holds, then exits cleanly;
//! - handles the diagnostic `Noop` payload itself, so every agent kind can
//!   be exercised end to end;
//! - serves `/health`, `/ready`, `/metrics`.
//!
//! Each specialist crate exports a `Config` and `build(config, &AgentContext)
//! -> Component` (handler + background work); the agent binaries and the
//! one-process run only loop over components.

mod binary;
pub mod cli;
mod component;
mod handler;
mod noop;
mod options;
mod run;
mod session;
mod task_run;

pub use binary::Binary;
pub use cli::AgentArgs;
pub use component::{AgentContext, Component};
pub use handler::{Done, Handler, HandlerError, Outcome, TaskContext};
pub use noop::NoopOnly;
pub use options::AgentOptions;
pub use run::run;
