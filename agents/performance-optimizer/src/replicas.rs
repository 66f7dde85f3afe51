//! Replica recommendations (Little's law with headroom).
//!
//! Work in service at a steady state is `L = λ · W` (arrival rate times
//! service time). A backlog `B` adds `B · W / drain` of concurrency to clear
//! it within the drain target. With `c` tasks per replica and headroom `h`:
//!
//! ```text
//! replicas = ceil((λ·W + B·W/drain) · h / c), at least `min`, at most `max`
//! ```

/// Observed load of one task kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KindLoad {
    /// Tasks waiting (ready + scheduled).
    pub backlog: f64,
    /// Tasks arriving per second.
    pub arrival_per_sec: f64,
    /// Mean time one task takes.
    pub service_secs: f64,
    /// Tasks one replica runs at once.
    pub capacity: u32,
}

/// Settings of the recommendation.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplicaPolicy {
    /// Spare capacity factor.
    #[arg(long, default_value_t = 1.25)]
    pub headroom: f64,
    /// A backlog should be cleared within this many seconds.
    #[arg(long, default_value_t = 60.0)]
    pub drain_secs: f64,
    /// Fewest replicas recommended.
    #[arg(long, default_value_t = 1)]
    pub min_replicas: u32,
    /// Most replicas recommended (raised to `min_replicas` if lower).
    #[arg(long, default_value_t = 100)]
    pub max_replicas: u32,
}

impl Default for ReplicaPolicy {
    fn default() -> Self {
        Self {
            headroom: 1.25,
            drain_secs: 60.0,
            min_replicas: 1,
            max_replicas: 100,
        }
    }
}

/// Replicas for `load` under `policy`.
pub fn recommend(load: &KindLoad, policy: &ReplicaPolicy) -> u32 {
    let positive = |x: f64| if x.is_finite() { x.max(0.0) } else { 0.0 };
    let in_service = positive(load.arrival_per_sec) * positive(load.service_secs);
    let backlog =
        positive(load.backlog) * positive(load.service_secs) / policy.drain_secs.max(1e-3);
    let needed =
        (in_service + backlog) * policy.headroom.max(1.0) / f64::from(load.capacity.max(1));
    let (lo, hi) = (
        policy.min_replicas,
        policy.max_replicas.max(policy.min_replicas),
    );
    (needed.ceil().min(f64::from(hi)) as u32).clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn littles_law_with_headroom() {
        let policy = ReplicaPolicy::default();
        // 20 tasks/s of 2 s each: 40 in service; ×1.25 / 8 per replica = 6.25 → 7
        let steady = KindLoad {
            backlog: 0.0,
            arrival_per_sec: 20.0,
            service_secs: 2.0,
            capacity: 8,
        };
        assert_eq!(recommend(&steady, &policy), 7);
        // a backlog of 1200 tasks of 2 s to clear in 60 s: 40 more → 12.5 → 13
        let behind = KindLoad {
            backlog: 1_200.0,
            ..steady
        };
        assert_eq!(recommend(&behind, &policy), 13);
        let idle = KindLoad {
            backlog: 0.0,
            arrival_per_sec: 0.0,
            ..steady
        };
        assert_eq!(recommend(&idle, &policy), 1, "the minimum");
        let flood = KindLoad {
            backlog: 1e12,
            ..steady
        };
        assert_eq!(recommend(&flood, &policy), 100, "the maximum");
        let nonsense = KindLoad {
            arrival_per_sec: f64::NAN,
            ..idle
        };
        assert_eq!(recommend(&nonsense, &policy), 1);
    }
}
