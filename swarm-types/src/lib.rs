//! The messages agents and services exchange through the shared memory,
//! apart from any service that sends or reads them:
//!
//! - [`envelope`] — what every message travels in (schema version,
//!   producer, time, trace context);
//! - [`finding`] — documents, candidates, detections and hot spots agents
//!   report on the findings stream;
//! - [`notice`] — event changes the coordinator announces;
//! - [`identity`] — the keys that say two reports name one event;
//! - [`status`] — an event's lifecycle and how its reports' statuses
//!   combine.

pub mod envelope;
pub mod finding;
pub mod identity;
pub mod notice;
pub mod status;

pub use envelope::Envelope;
pub use finding::Finding;
pub use identity::{project_key, symbol_key};
pub use notice::{EventChange, Notice};
