//! Per-poll samples of a source, newest first under
//! [`layout::samples_key`](crate::layout::samples_key): what the
//! performance optimizer learns a source's yield and cost from.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Memory;
use crate::layout::samples_key;

/// Samples kept per source.
pub const KEEP: usize = 100;
/// How long samples of a source that is no longer polled are kept.
pub const TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// One poll of a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollSample {
    pub at_unix_ms: i64,
    pub success: bool,
    pub latency_ms: u64,
    /// Items not seen before.
    pub new_items: u32,
    /// Items that turned out to announce a TGE (when known).
    #[serde(default)]
    pub hits: u32,
}

/// Records a sample of `source`.
///
/// # Errors
///
/// The memory is unreachable.
pub async fn record(
    memory: &dyn Memory,
    source: &str,
    sample: &PollSample,
) -> crate::memory::Result<()> {
    let json = serde_json::to_string(sample).unwrap_or_default();
    memory
        .push_capped(&samples_key(source), &json, KEEP, TTL)
        .await
}

/// The newest `count` samples of `source`, newest first (unreadable ones
/// are skipped).
///
/// # Errors
///
/// The memory is unreachable.
pub async fn recent(
    memory: &dyn Memory,
    source: &str,
    count: usize,
) -> crate::memory::Result<Vec<PollSample>> {
    Ok(memory
        .newest(&samples_key(source), count)
        .await?
        .iter()
        .filter_map(|s| serde_json::from_str(s).ok())
        .collect())
}
