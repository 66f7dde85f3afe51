//! Token buckets per client (API key, or address without a key), in
//! process: each replica enforces the limit on the requests it serves.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Per-client token buckets.
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Buckets kept before idle full ones are swept.
const SWEEP_ABOVE: usize = 100_000;

impl RateLimiter {
    /// Takes a token from `client`'s bucket (refilled at `rate` per second,
    /// holding at most `burst`); when empty, how long until one is back.
    pub fn take(&self, client: &str, rate: f64, burst: u32) -> Result<(), Duration> {
        let now = Instant::now();
        let burst = f64::from(burst.max(1));
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > SWEEP_ABOVE {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(client.to_string()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

impl RateLimiter {
    /// Whether `client`'s bucket has a token, without taking it; when
    /// empty, how long until one is back.
    pub fn check(&self, client: &str, rate: f64, burst: u32) -> Result<(), Duration> {
        let buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(bucket) = buckets.get(client) else {
            return Ok(());
        };
        let burst = f64::from(burst.max(1));
        let tokens = (bucket.tokens + bucket.at.elapsed().as_secs_f64() * rate).min(burst);
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - tokens) / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_does_not_take() {
        let limiter = RateLimiter::default();
        assert!(limiter.check("k", 1.0, 1).is_ok(), "an unknown client may");
        assert!(limiter.take("k", 1.0, 1).is_ok());
        assert!(limiter.check("k", 1.0, 1).is_err());
        assert!(
            limiter.check("k", 1.0, 1).is_err(),
            "checking twice takes nothing"
        );
    }

    #[test]
    fn a_burst_then_refusals_with_a_wait() {
        let limiter = RateLimiter::default();
        for _ in 0..3 {
            assert!(limiter.take("k", 1.0, 3).is_ok());
        }
        let wait = limiter.take("k", 1.0, 3).unwrap_err();
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(
            limiter.take("other", 1.0, 3).is_ok(),
            "buckets are per client"
        );
    }
}
