//! The normalized identity of an event: one event per project key (+
//! symbol key), the rule every report and reader shares (`swarm-types`).

pub use swarm_types::identity::{project_key, symbol_key};
