//! The circuit-breaker state machine.
//!
//! - **closed**: calls go through; each outcome is recorded. The breaker
//!   opens after `consecutive_failures` failures in a row, or when at least
//!   `min_calls` of the last `window` calls were made and the failure rate
//!   among them reached `failure_rate`.
//! - **open**: calls are refused until `open_until_ms` (the cool-down).
//! - **half-open** (open and cooled down): one probe call at a time is let
//!   through (its slot lasts `probe_timeout_ms`, in case the prober dies).
//!   A successful probe closes the breaker; a failed one opens it again for
//!   another cool-down.
//!
//! Times are unix milliseconds; the state is plain data (JSON in memory).

use serde::{Deserialize, Serialize};

/// Thresholds and timings of a breaker.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct BreakerPolicy {
    /// Failures in a row that open a source's breaker.
    #[arg(
        long = "breaker-failures",
        env = "SWARM_BREAKER_FAILURES",
        default_value_t = 5
    )]
    pub consecutive_failures: u32,
    /// Failure rate (0..=1) over the recent window that opens the breaker.
    #[arg(
        long = "breaker-failure-rate",
        env = "SWARM_BREAKER_FAILURE_RATE",
        default_value_t = 0.5
    )]
    pub failure_rate: f64,
    /// Calls remembered for the failure rate.
    #[arg(
        long = "breaker-window",
        env = "SWARM_BREAKER_WINDOW",
        default_value_t = 20
    )]
    pub window: u32,
    /// Calls needed in the window before the rate counts.
    #[arg(
        long = "breaker-min-calls",
        env = "SWARM_BREAKER_MIN_CALLS",
        default_value_t = 10
    )]
    pub min_calls: u32,
    /// How long an open breaker refuses calls before a probe.
    #[arg(
        long = "breaker-cooldown-ms",
        env = "SWARM_BREAKER_COOLDOWN_MS",
        default_value_t = 30_000
    )]
    pub cool_down_ms: u64,
    /// How long a half-open probe may take before another is allowed.
    #[arg(
        long = "breaker-probe-timeout-ms",
        env = "SWARM_BREAKER_PROBE_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub probe_timeout_ms: u64,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            consecutive_failures: 5,
            failure_rate: 0.5,
            window: 20,
            min_calls: 10,
            cool_down_ms: 30_000,
            probe_timeout_ms: 30_000,
        }
    }
}

/// Stored phase: half-open is derived (open and cooled down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Calls go ahead; outcomes are counted.
    #[default]
    Closed,
    /// Calls are refused until the cool-down ends.
    Open,
    /// Cooled down: one probe call decides between closing and reopening.
    HalfOpen,
}

impl Phase {
    /// Lower-case name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Closed => "closed",
            Phase::Open => "open",
            Phase::HalfOpen => "half_open",
        }
    }
}

/// The state of one breaker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BreakerState {
    /// `Closed` or `Open` (half-open is open after `open_until_ms`).
    pub phase: Phase,
    /// Failures since the last success (opens the breaker at the policy's limit).
    pub consecutive_failures: u32,
    /// Recent outcomes, oldest first: `s` success, `f` failure.
    pub recent: String,
    /// End of the cool-down while open.
    pub open_until_ms: i64,
    /// A half-open probe holds the slot until then.
    pub probe_until_ms: i64,
    /// Times the breaker opened.
    pub opened: u64,
}

/// Whether a call may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: go ahead.
    Allowed,
    /// Half-open: this call is the probe.
    Probe,
    /// Open (or a probe is running): wait this long.
    Rejected {
        /// Until the cool-down ends or the running probe times out (ms).
        retry_in_ms: i64,
    },
}

/// A change of phase caused by an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Closed → open: too many failures.
    Opened,
    /// Half-open → open: the probe (or a call after the cool-down) failed.
    Reopened,
    /// Half-open → closed: the probe succeeded.
    Closed,
}

impl BreakerState {
    /// The phase at `now_ms` (open turns half-open after the cool-down).
    pub fn phase_at(&self, now_ms: i64) -> Phase {
        match self.phase {
            Phase::Open | Phase::HalfOpen if now_ms >= self.open_until_ms => Phase::HalfOpen,
            Phase::Open | Phase::HalfOpen => Phase::Open,
            Phase::Closed => Phase::Closed,
        }
    }

    /// Whether a half-open probe is running at `now_ms`.
    pub fn probing(&self, now_ms: i64) -> bool {
        self.phase_at(now_ms) == Phase::HalfOpen && self.probe_until_ms > now_ms
    }

    /// Decides whether a call may go ahead; takes the probe slot when
    /// half-open (the caller must store the changed state).
    pub fn admit(&mut self, now_ms: i64, policy: &BreakerPolicy) -> Admission {
        match self.phase_at(now_ms) {
            Phase::Closed => Admission::Allowed,
            Phase::Open => Admission::Rejected {
                retry_in_ms: self.open_until_ms - now_ms,
            },
            Phase::HalfOpen if self.probe_until_ms > now_ms => Admission::Rejected {
                retry_in_ms: self.probe_until_ms - now_ms,
            },
            Phase::HalfOpen => {
                self.probe_until_ms = now_ms + policy.probe_timeout_ms as i64;
                Admission::Probe
            }
        }
    }

    /// Records the outcome of a call; returns the phase change it caused.
    #[allow(
        clippy::match_same_arms,
        reason = "one arm per phase, in phase order: \"no change\" has a different cause in each"
    )]
    pub fn record(
        &mut self,
        success: bool,
        now_ms: i64,
        policy: &BreakerPolicy,
    ) -> Option<Transition> {
        self.recent.push(if success { 's' } else { 'f' });
        let window = policy.window.max(1) as usize;
        if self.recent.len() > window {
            let excess = self.recent.len() - window;
            self.recent.drain(..excess);
        }
        if success {
            self.consecutive_failures = 0;
        } else {
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        }
        match self.phase_at(now_ms) {
            Phase::Closed if !success && self.should_open(policy) => {
                self.open(now_ms, policy);
                Some(Transition::Opened)
            }
            Phase::Closed => None,
            Phase::HalfOpen if success => {
                *self = BreakerState {
                    opened: self.opened,
                    recent: "s".into(),
                    ..BreakerState::default()
                };
                Some(Transition::Closed)
            }
            // a failed probe (or any failure once cooled down)
            Phase::HalfOpen => {
                self.open(now_ms, policy);
                Some(Transition::Reopened)
            }
            // a late outcome of a call admitted before the breaker opened
            Phase::Open => None,
        }
    }

    fn should_open(&self, policy: &BreakerPolicy) -> bool {
        if self.consecutive_failures >= policy.consecutive_failures.max(1) {
            return true;
        }
        let calls = self.recent.len();
        let failures = self.recent.chars().filter(|c| *c == 'f').count();
        calls >= policy.min_calls.max(1) as usize
            && failures as f64 >= policy.failure_rate * calls as f64
    }

    fn open(&mut self, now_ms: i64, policy: &BreakerPolicy) {
        self.phase = Phase::Open;
        self.open_until_ms = now_ms + policy.cool_down_ms as i64;
        self.probe_until_ms = 0;
        self.opened += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BreakerPolicy {
        BreakerPolicy {
            consecutive_failures: 3,
            failure_rate: 0.5,
            window: 10,
            min_calls: 6,
            cool_down_ms: 1_000,
            probe_timeout_ms: 500,
        }
    }

    #[test]
    fn consecutive_failures_open_then_a_probe_closes() {
        let p = policy();
        let mut b = BreakerState::default();
        assert_eq!(b.record(false, 0, &p), None);
        assert_eq!(b.record(false, 1, &p), None);
        assert_eq!(b.admit(2, &p), Admission::Allowed);
        assert_eq!(b.record(false, 2, &p), Some(Transition::Opened));
        assert_eq!(b.phase_at(500), Phase::Open);
        assert_eq!(b.admit(500, &p), Admission::Rejected { retry_in_ms: 502 });
        // cooled down: exactly one probe at a time
        assert_eq!(b.phase_at(1_002), Phase::HalfOpen);
        assert_eq!(b.admit(1_002, &p), Admission::Probe);
        assert!(b.probing(1_100));
        assert!(matches!(b.admit(1_100, &p), Admission::Rejected { .. }));
        assert_eq!(b.record(true, 1_200, &p), Some(Transition::Closed));
        assert_eq!(b.phase_at(1_200), Phase::Closed);
        assert_eq!(b.consecutive_failures, 0);
        assert_eq!(b.opened, 1);
    }

    #[test]
    fn a_failed_probe_reopens_for_another_cool_down() {
        let p = policy();
        let mut b = BreakerState::default();
        for t in 0..3 {
            b.record(false, t, &p);
        }
        assert_eq!(b.admit(1_500, &p), Admission::Probe);
        assert_eq!(b.record(false, 1_600, &p), Some(Transition::Reopened));
        assert_eq!(b.phase_at(2_000), Phase::Open);
        assert_eq!(b.phase_at(2_600), Phase::HalfOpen);
        assert_eq!(b.opened, 2);
    }

    #[test]
    fn an_abandoned_probe_slot_expires() {
        let p = policy();
        let mut b = BreakerState::default();
        for t in 0..3 {
            b.record(false, t, &p);
        }
        assert_eq!(b.admit(1_100, &p), Admission::Probe);
        assert!(matches!(b.admit(1_500, &p), Admission::Rejected { .. }));
        assert_eq!(b.admit(1_600, &p), Admission::Probe, "the prober died");
    }

    #[test]
    fn failure_rate_opens_without_a_streak() {
        let p = policy();
        let mut b = BreakerState::default();
        // s f s f s f: never three in a row, but half of six calls failed
        let mut last = None;
        for (t, ok) in [true, false, true, false, true, false]
            .into_iter()
            .enumerate()
        {
            last = b.record(ok, t as i64, &p);
        }
        assert_eq!(last, Some(Transition::Opened));
        // below min_calls the rate does not count
        let mut fresh = BreakerState::default();
        for (t, ok) in [false, true, false, true].into_iter().enumerate() {
            assert_eq!(fresh.record(ok, t as i64, &p), None);
        }
    }

    #[test]
    fn the_window_keeps_only_recent_calls() {
        let p = policy();
        let mut b = BreakerState::default();
        for t in 0..25 {
            b.record(true, t, &p);
        }
        assert_eq!(b.recent.len(), 10);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<BreakerState>(&json).unwrap(), b);
    }
}
