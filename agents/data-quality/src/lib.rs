//! data-quality: validates TGE candidates (project name, symbol format,
//! confidence, date and its precision), sanitizes their text, derives the
//! lifecycle status the report states, and records them as detections in
//! the shared memory, where the memory coordinator merges detections into
//! one event per project (+ symbol) with corroboration, combined confidence,
//! evidence and history.
//!
//! Not yet here: near-duplicate detection across sources (SimHash).

pub mod handler;
pub mod validate;
