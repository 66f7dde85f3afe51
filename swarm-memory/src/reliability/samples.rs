//! Per-poll samples of a source, newest first under
//! [`layout::samples_key`](crate::layout::samples_key): what the
//! performance optimizer learns a source's yield and cost from.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Memory;
use crate::layout::{hits_key, samples_key};

/// Samples kept per source.
pub const KEEP: usize = 100;
/// How long samples of a source that is no longer polled are kept.
pub const TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// One poll of a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollSample {
    /// When the poll finished (Unix ms).
    pub at_unix_ms: i64,
    /// Whether the poll's task succeeded (a 304 counts as success).
    pub success: bool,
    /// How long the poll took, fetch and parse (ms).
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

/// Records that an item of `source` announced a TGE at `at_unix_ms`
/// (data-quality calls this for every independent detection).
///
/// # Errors
///
/// The memory is unreachable.
pub async fn record_hit(
    memory: &dyn Memory,
    source: &str,
    at_unix_ms: i64,
) -> crate::memory::Result<()> {
    memory
        .push_capped(&hits_key(source), &at_unix_ms.to_string(), KEEP, TTL)
        .await
}

/// [`recent`] with each recorded hit counted on the newest poll at or
/// before it (the poll that brought the item in).
///
/// # Errors
///
/// The memory is unreachable.
pub async fn recent_with_hits(
    memory: &dyn Memory,
    source: &str,
    count: usize,
) -> crate::memory::Result<Vec<PollSample>> {
    let mut polls = recent(memory, source, count).await?;
    let hits: Vec<i64> = memory
        .newest(&hits_key(source), KEEP)
        .await?
        .iter()
        .filter_map(|h| h.parse().ok())
        .collect();
    attribute_hits(&mut polls, &hits);
    Ok(polls)
}

/// Adds each hit to the newest of `polls` (newest first) at or before it.
pub fn attribute_hits(polls: &mut [PollSample], hits: &[i64]) {
    for hit in hits {
        if let Some(poll) = polls.iter_mut().find(|p| p.at_unix_ms <= *hit) {
            poll.hits += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_land_on_the_poll_that_brought_them() {
        let poll = |at| PollSample {
            at_unix_ms: at,
            success: true,
            latency_ms: 5,
            new_items: 1,
            hits: 0,
        };
        let mut polls = vec![poll(3_000), poll(2_000), poll(1_000)];
        attribute_hits(&mut polls, &[3_500, 2_400, 2_100, 500]);
        let hits: Vec<u32> = polls.iter().map(|p| p.hits).collect();
        assert_eq!(
            hits,
            vec![1, 2, 0],
            "a hit older than every poll is dropped"
        );
    }
}
