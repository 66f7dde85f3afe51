//! data-quality: validates TGE candidates (project name, symbol format,
//! confidence, date and its precision), sanitizes their text, derives the
//! lifecycle status the report states, and records them as detections in
//! the shared memory, where the memory coordinator merges detections into
//! one event per project (+ symbol) with corroboration, combined confidence,
//! evidence and history.
//!
//! A report whose text nearly duplicates another source's (SimHash over
//! word shingles, [`neardup`]) is marked so that syndicated copies do not
//! count as independent corroboration.

pub mod handler;
pub mod neardup;
pub mod validate;
