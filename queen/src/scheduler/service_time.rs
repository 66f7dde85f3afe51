//! Service time per task kind: the durations agents report with their
//! results, kept in a bounded window of the most recent ones, summarized
//! as mean, p50 and p99 for `queenctl stats` and the performance optimizer
//! (Little's law needs the mean; p99 shows the slow tail).

use std::collections::VecDeque;

/// Durations kept per kind.
const WINDOW: usize = 1024;

/// Recent service times of one kind.
#[derive(Debug, Default, Clone)]
pub struct ServiceTimes {
    recent_ms: VecDeque<u32>,
}

/// A summary of [`ServiceTimes`] (all 0 with no sample yet).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Summary {
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl ServiceTimes {
    /// Records one task's duration.
    pub fn record(&mut self, duration_ms: u32) {
        if self.recent_ms.len() == WINDOW {
            self.recent_ms.pop_front();
        }
        self.recent_ms.push_back(duration_ms);
    }

    /// Mean, p50 and p99 of the window.
    pub fn summary(&self) -> Summary {
        if self.recent_ms.is_empty() {
            return Summary::default();
        }
        let mut sorted: Vec<u32> = self.recent_ms.iter().copied().collect();
        sorted.sort_unstable();
        let at = |q: f64| f64::from(sorted[((sorted.len() - 1) as f64 * q).round() as usize]);
        Summary {
            mean_ms: sorted.iter().map(|d| f64::from(*d)).sum::<f64>() / sorted.len() as f64,
            p50_ms: at(0.5),
            p99_ms: at(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarizes_a_bounded_window() {
        let mut t = ServiceTimes::default();
        assert_eq!(t.summary(), Summary::default());
        for d in 1..=100 {
            t.record(d);
        }
        let s = t.summary();
        assert!((s.mean_ms - 50.5).abs() < 1e-9);
        assert_eq!(s.p50_ms, 51.0);
        assert_eq!(s.p99_ms, 99.0);
        for _ in 0..WINDOW {
            t.record(7);
        }
        assert_eq!(t.summary().p99_ms, 7.0, "old samples leave the window");
    }
}
