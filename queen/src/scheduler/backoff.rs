//! Retry delays: exponential in the attempt number, capped, with "equal
//! jitter" (half fixed, half random) so that many tasks failing together do
//! not retry together.

use rand::Rng;

use crate::config::KindPolicy;

/// Delay before retry number `attempt` (1 = the first retry).
pub fn retry_delay_ms(policy: &KindPolicy, attempt: u32) -> i64 {
    let exp = attempt.saturating_sub(1).min(30);
    let raw = policy
        .backoff_base_ms
        .saturating_mul(1u64 << exp)
        .min(policy.backoff_max_ms);
    let half = raw / 2;
    let jitter = if half > 0 {
        rand::rng().random_range(0..=half)
    } else {
        0
    };
    (half + jitter) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_within_jitter_and_cap() {
        let policy = KindPolicy {
            backoff_base_ms: 100,
            backoff_max_ms: 1_000,
            ..KindPolicy::default()
        };
        for _ in 0..200 {
            let first = retry_delay_ms(&policy, 1);
            assert!((50..=100).contains(&first), "{first}");
            let third = retry_delay_ms(&policy, 3);
            assert!((200..=400).contains(&third), "{third}");
            let late = retry_delay_ms(&policy, 20);
            assert!((500..=1_000).contains(&late), "{late}");
        }
    }
}
