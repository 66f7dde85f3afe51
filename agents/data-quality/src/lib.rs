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
