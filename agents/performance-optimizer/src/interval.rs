//! Adaptive poll intervals.

use swarm_memory::reliability::PollSample;

/// Bounds and thresholds of interval adaptation.
#[derive(Debug, Clone, clap::Args)]
pub struct IntervalPolicy {
    /// Shortest poll interval the optimizer sets.
    #[arg(
        long = "min-interval-ms",
        env = "OPTIMIZER_MIN_INTERVAL_MS",
        default_value_t = 30_000
    )]
    pub min_ms: u64,
    /// Longest poll interval the optimizer sets.
    #[arg(
        long = "max-interval-ms",
        env = "OPTIMIZER_MAX_INTERVAL_MS",
        default_value_t = 3_600_000
    )]
    pub max_ms: u64,
    /// Polls needed before a source's interval changes.
    #[arg(long = "min-samples", default_value_t = 3)]
    pub min_samples: usize,
    /// Yield per poll (new items + 5 × TGE hits) at or above which a source is busy.
    #[arg(long = "busy-yield", default_value_t = 1.0)]
    pub busy_yield: f64,
    /// Yield per poll at or below which a source is quiet.
    #[arg(long = "quiet-yield", default_value_t = 0.2)]
    pub quiet_yield: f64,
}

impl Default for IntervalPolicy {
    fn default() -> Self {
        Self {
            min_ms: 30_000,
            max_ms: 3_600_000,
            min_samples: 3,
            busy_yield: 1.0,
            quiet_yield: 0.2,
        }
    }
}

/// A TGE hit is worth this many new items.
const HIT_WEIGHT: f64 = 5.0;

/// The interval for a source polled every `current_ms` whose recent polls
/// are `samples`: halved when busy, grown by half when quiet or mostly
/// failing, kept otherwise; always within the policy's bounds.
pub fn adapt(current_ms: u64, samples: &[PollSample], policy: &IntervalPolicy) -> u64 {
    let (lo, hi) = (
        policy.min_ms.min(policy.max_ms),
        policy.max_ms.max(policy.min_ms),
    );
    if samples.len() < policy.min_samples.max(1) {
        return current_ms.clamp(lo, hi);
    }
    let n = samples.len() as f64;
    let value: f64 = samples
        .iter()
        .map(|s| f64::from(s.new_items) + HIT_WEIGHT * f64::from(s.hits))
        .sum::<f64>()
        / n;
    let failures = samples.iter().filter(|s| !s.success).count() as f64 / n;
    let next = if failures > 0.5 || value <= policy.quiet_yield {
        current_ms.saturating_mul(3) / 2
    } else if value >= policy.busy_yield {
        current_ms / 2
    } else {
        current_ms
    };
    next.clamp(lo, hi)
}

/// The `q` quantile (0..=1) of the samples' latency, in ms.
pub fn latency_quantile(samples: &[PollSample], q: f64) -> Option<u64> {
    let mut latencies: Vec<u64> = samples.iter().map(|s| s.latency_ms).collect();
    if latencies.is_empty() {
        return None;
    }
    latencies.sort_unstable();
    let rank = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len());
    Some(latencies[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(new_items: u32, hits: u32, success: bool, latency_ms: u64) -> PollSample {
        PollSample {
            at_unix_ms: 0,
            success,
            latency_ms,
            new_items,
            hits,
        }
    }

    fn policy() -> IntervalPolicy {
        IntervalPolicy {
            min_ms: 1_000,
            max_ms: 10_000,
            ..IntervalPolicy::default()
        }
    }

    #[test]
    fn busy_sources_speed_up_and_quiet_ones_slow_down_within_bounds() {
        let p = policy();
        let busy = vec![sample(3, 0, true, 50); 5];
        assert_eq!(adapt(4_000, &busy, &p), 2_000);
        assert_eq!(adapt(1_500, &busy, &p), 1_000, "not below the minimum");
        let quiet = vec![sample(0, 0, true, 50); 5];
        assert_eq!(adapt(4_000, &quiet, &p), 6_000);
        assert_eq!(adapt(8_000, &quiet, &p), 10_000, "not above the maximum");
        let middling = vec![
            sample(0, 0, true, 1),
            sample(1, 0, true, 1),
            sample(1, 0, true, 1),
        ];
        assert_eq!(adapt(4_000, &middling, &p), 4_000);
    }

    #[test]
    fn hits_count_more_than_items_and_failures_back_off() {
        let p = policy();
        let one_hit = vec![
            sample(0, 0, true, 1),
            sample(0, 1, true, 1),
            sample(0, 0, true, 1),
        ];
        assert_eq!(
            adapt(4_000, &one_hit, &p),
            2_000,
            "a TGE hit makes a source valuable"
        );
        let failing = vec![sample(5, 0, false, 1); 4];
        assert_eq!(adapt(4_000, &failing, &p), 6_000);
        assert_eq!(adapt(4_000, &failing[..2], &p), 4_000, "too few samples");
        assert_eq!(adapt(50_000, &[], &p), 10_000, "always within bounds");
    }

    #[test]
    fn p99_latency() {
        let samples: Vec<PollSample> = (1..=100).map(|ms| sample(0, 0, true, ms)).collect();
        assert_eq!(latency_quantile(&samples, 0.99), Some(99));
        assert_eq!(latency_quantile(&samples, 0.5), Some(50));
        assert_eq!(latency_quantile(&[], 0.99), None);
    }
}
