//! Retry budgets: retries are limited to a fraction of the traffic, so a
//! failing upstream sees at most `(1 + ratio)` times its normal load instead
//! of `max_attempts` times.
//!
//! Every first attempt deposits `ratio` tokens (up to `max_tokens`); every
//! retry withdraws one. A small floor (`min_per_sec`) keeps retries possible
//! for rarely called targets.

/// A retry budget (one per process and target).
#[derive(Debug, Clone)]
pub struct RetryBudget {
    ratio: f64,
    min_per_sec: f64,
    max_tokens: f64,
    tokens: f64,
    last_ms: i64,
}

impl RetryBudget {
    /// Retries up to `ratio` of first attempts, plus `min_per_sec`.
    pub fn new(ratio: f64, min_per_sec: f64, max_tokens: f64, now_ms: i64) -> Self {
        Self {
            ratio: ratio.max(0.0),
            min_per_sec: min_per_sec.max(0.0),
            max_tokens: max_tokens.max(1.0),
            tokens: 1.0,
            last_ms: now_ms,
        }
    }

    fn refill(&mut self, now_ms: i64) {
        let elapsed = (now_ms - self.last_ms).max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * self.min_per_sec).min(self.max_tokens);
        self.last_ms = self.last_ms.max(now_ms);
    }

    /// Records a first attempt (it earns retry credit).
    pub fn on_request(&mut self, now_ms: i64) {
        self.refill(now_ms);
        self.tokens = (self.tokens + self.ratio).min(self.max_tokens);
    }

    /// Whether a retry may be made now (and spends its token if so).
    pub fn try_retry(&mut self, now_ms: i64) -> bool {
        self.refill(now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_stay_within_the_ratio_of_traffic() {
        let mut budget = RetryBudget::new(0.2, 0.0, 100.0, 0);
        let mut retries = 0;
        for _ in 0..100 {
            budget.on_request(0);
            // every request fails and wants three retries
            for _ in 0..3 {
                if budget.try_retry(0) {
                    retries += 1;
                }
            }
        }
        // 1 initial token + 0.2 per request
        assert_eq!(retries, 21);
    }

    #[test]
    fn the_floor_refills_over_time() {
        let mut budget = RetryBudget::new(0.0, 2.0, 5.0, 0);
        assert!(budget.try_retry(0));
        assert!(!budget.try_retry(100));
        assert!(
            budget.try_retry(600),
            "one token after half a second at 2/s"
        );
        assert!(!budget.try_retry(600));
        // capped at max_tokens
        let mut n = 0;
        while budget.try_retry(60_000) {
            n += 1;
        }
        assert_eq!(n, 5);
    }
}
