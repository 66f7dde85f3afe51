//! Reliability state shared by every process that calls out (scraper
//! replicas, the queen, api-reliability), kept in the [`Memory`](crate::Memory)
//! so that all of them honour the same decision:
//!
//! - [`breaker`] — the circuit-breaker state machine (closed / open /
//!   half-open; consecutive-failure and failure-rate thresholds; cool-down;
//!   one probe at a time when half-open). Pure, no I/O;
//! - [`shared`] — the breaker of a source or API kept under
//!   [`layout::breaker_key`](crate::layout::breaker_key), updated with
//!   compare-and-set so concurrent replicas never lose an outcome;
//! - [`budget`] — retry budgets: retries limited to a fraction of traffic;
//! - [`samples`] — per-poll samples (new items, latency, errors) the
//!   performance optimizer reads.

pub mod breaker;
pub mod budget;
pub mod samples;
pub mod shared;

pub use breaker::{Admission, BreakerPolicy, BreakerState, Phase, Transition};
pub use budget::RetryBudget;
pub use samples::PollSample;
pub use shared::SharedBreaker;
