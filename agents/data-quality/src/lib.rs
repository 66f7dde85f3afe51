//! data-quality: validates TGE candidates (project name, symbol format,
//! confidence, date and its precision), sanitizes their text, derives the
//! lifecycle status the report states, and records them as detections in
//! the shared memory, where the memory coordinator merges detections into
//! one event per project (+ symbol) with corroboration, combined confidence,
//! evidence and history.
//!
//! Each report carries a SimHash of its text ([`neardup`]); the synthesis
//! marks a report that nearly duplicates another source's so that
//! syndicated copies do not count as independent corroboration.

pub mod handler;
pub mod neardup;
pub mod validate;

use std::sync::Arc;

use agent_runtime::{AgentContext, Component};
use swarm_proto::AgentKind;

/// Concurrent validations per replica unless the operator says otherwise.
pub const DEFAULT_CAPACITY: u32 = 32;

/// Settings of the data-quality agent (nothing beyond the runtime's yet).
#[derive(Debug, Clone, Default)]
pub struct Config {}

/// The data-quality agent over `context`.
pub fn build(_config: Config, context: &AgentContext) -> Component {
    let handler = handler::QualityHandler::new(
        context.memory.clone(),
        context.findings(AgentKind::DataQuality),
    );
    Component::new(AgentKind::DataQuality, DEFAULT_CAPACITY, Arc::new(handler))
}
