//! Token buckets per client (API key, or address without a key), in
//! process: each replica enforces the limit on the requests it serves.
//!
//! The buckets are split over [`SHARDS`] shards by a keyed hash of the
//! client, each behind its own lock, so one client's request only ever
//! waits for requests that hash to the same shard. Memory is bounded:
//! every call examines at most [`SWEEP_STEP`] buckets of its shard (an
//! incremental sweep that walks the shard round-robin and drops buckets
//! that have refilled to their burst, which are the same as no bucket),
//! and a shard never holds more than its share of [`RateLimiter::with_capacity`]:
//! when full, the new client replaces the fullest of the buckets the sweep
//! just looked at. No call ever walks a whole map.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Number of independently locked shards.
pub const SHARDS: usize = 64;
/// Buckets a call examines, at most, in its shard's incremental sweep.
pub const SWEEP_STEP: usize = 8;
/// Default bound on the number of buckets kept (all shards together).
pub const DEFAULT_CAPACITY: usize = 200_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    /// The rate and burst it was last used with (to tell when it is full).
    rate: f64,
    burst: f64,
}

impl Bucket {
    /// Tokens at `now` (refilled, capped at the burst).
    fn tokens_at(&self, now: Instant) -> f64 {
        (self.tokens + now.saturating_duration_since(self.at).as_secs_f64() * self.rate)
            .min(self.burst)
    }

    /// Whether it has refilled completely: dropping it changes nothing.
    fn is_full(&self, now: Instant) -> bool {
        self.tokens_at(now) >= self.burst
    }
}

/// One shard: buckets in a dense vector (so a sweep can resume where it
/// stopped) with an index by client.
#[derive(Default)]
struct Shard {
    index: HashMap<String, usize>,
    slots: Vec<(String, Bucket)>,
    /// Where the incremental sweep resumes.
    cursor: usize,
}

impl Shard {
    /// Removes slot `i` (the last slot takes its place).
    fn remove(&mut self, i: usize) {
        let (client, _) = self.slots.swap_remove(i);
        self.index.remove(&client);
        if let Some((moved, _)) = self.slots.get(i) {
            self.index.insert(moved.clone(), i);
        }
    }

    /// Examines up to [`SWEEP_STEP`] buckets from the cursor, dropping full
    /// ones (never `keep`); returns the index of the fullest bucket seen
    /// that was kept (the one to evict when the shard is at capacity).
    fn sweep(&mut self, now: Instant, keep: Option<&str>) -> Option<usize> {
        let mut fullest: Option<(usize, f64)> = None;
        for _ in 0..SWEEP_STEP {
            if self.slots.is_empty() {
                break;
            }
            if self.cursor >= self.slots.len() {
                self.cursor = 0;
            }
            let i = self.cursor;
            let (client, bucket) = &self.slots[i];
            if keep == Some(client.as_str()) {
                self.cursor += 1;
                continue;
            }
            if bucket.is_full(now) {
                // the last slot moves into `i`: look at `i` again next
                self.remove(i);
                if let Some((f, t)) = fullest
                    && f == self.slots.len()
                {
                    fullest = Some((i, t));
                }
                continue;
            }
            let share = bucket.tokens_at(now) / bucket.burst;
            if fullest.is_none_or(|(_, t)| share > t) {
                fullest = Some((i, share));
            }
            self.cursor += 1;
        }
        fullest.map(|(i, _)| i)
    }
}

/// Per-client token buckets, sharded.
pub struct RateLimiter {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    per_shard: usize,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl RateLimiter {
    /// A limiter keeping at most about `capacity` buckets (at least one
    /// per shard).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(&self, client: &str) -> MutexGuard<'_, Shard> {
        let i = (self.hasher.hash_one(client) % SHARDS as u64) as usize;
        self.shards[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a token from `client`'s bucket (refilled at `rate` per second,
    /// holding at most `burst`); when empty, how long until one is back.
    pub fn take(&self, client: &str, rate: f64, burst: u32) -> Result<(), Duration> {
        self.take_at(client, rate, burst, Instant::now())
    }

    /// [`RateLimiter::take`] at `now`.
    pub fn take_at(
        &self,
        client: &str,
        rate: f64,
        burst: u32,
        now: Instant,
    ) -> Result<(), Duration> {
        let burst = f64::from(burst.max(1));
        let mut shard = self.shard(client);
        let fullest = shard.sweep(now, Some(client));
        let i = match shard.index.get(client) {
            Some(i) => *i,
            None => {
                if shard.slots.len() >= self.per_shard
                    && let Some(victim) = fullest.filter(|v| *v < shard.slots.len())
                {
                    metrics::counter!("tge_api_rate_buckets_evicted_total").increment(1);
                    shard.remove(victim);
                }
                let fresh = Bucket {
                    tokens: burst,
                    at: now,
                    rate,
                    burst,
                };
                shard.slots.push((client.to_string(), fresh));
                let i = shard.slots.len() - 1;
                shard.index.insert(client.to_string(), i);
                i
            }
        };
        let bucket = &mut shard.slots[i].1;
        bucket.rate = rate;
        bucket.burst = burst;
        bucket.tokens = bucket.tokens_at(now);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }

    /// Whether `client`'s bucket has a token, without taking it; when
    /// empty, how long until one is back.
    pub fn check(&self, client: &str, rate: f64, burst: u32) -> Result<(), Duration> {
        let now = Instant::now();
        let shard = self.shard(client);
        let Some(i) = shard.index.get(client) else {
            return Ok(());
        };
        let mut bucket = shard.slots[*i].1;
        bucket.rate = rate;
        bucket.burst = f64::from(burst.max(1));
        let tokens = bucket.tokens_at(now);
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - tokens) / rate))
        }
    }

    /// Buckets kept, all shards together.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).slots.len())
            .sum()
    }

    /// Whether no bucket is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    #[test]
    fn a_sweep_step_examines_a_bounded_number_of_buckets() {
        let start = Instant::now();
        let mut shard = Shard::default();
        for n in 0..1000 {
            let bucket = Bucket {
                tokens: 0.0,
                at: start,
                rate: 1.0,
                burst: 10.0,
            };
            shard.index.insert(format!("c{n}"), shard.slots.len());
            shard.slots.push((format!("c{n}"), bucket));
        }
        // every bucket has refilled: one step drops exactly SWEEP_STEP of them
        let later = start + Duration::from_secs(60);
        shard.sweep(later, None);
        assert_eq!(shard.slots.len(), 1000 - SWEEP_STEP);
        assert_eq!(shard.index.len(), shard.slots.len());
        for (i, (client, _)) in shard.slots.iter().enumerate() {
            assert_eq!(shard.index[client], i, "the index follows swap_remove");
        }
        // none refilled yet: a step drops nothing and moves on by SWEEP_STEP
        let mut busy = Shard::default();
        for n in 0..100 {
            let bucket = Bucket {
                tokens: 0.0,
                at: start,
                rate: 1.0,
                burst: 10.0,
            };
            busy.index.insert(format!("c{n}"), n);
            busy.slots.push((format!("c{n}"), bucket));
        }
        busy.sweep(start + Duration::from_secs(1), None);
        assert_eq!((busy.slots.len(), busy.cursor), (100, SWEEP_STEP));
    }

    #[test]
    fn idle_buckets_expire_as_other_clients_come() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        for n in 0..5000 {
            assert!(limiter.take_at(&format!("a{n}"), 10.0, 5, start).is_ok());
        }
        assert_eq!(limiter.len(), 5000);
        // ten seconds on, every one of them is full again: the sweeps that
        // other clients' requests run drop them, a few per request
        let later = start + Duration::from_secs(10);
        for n in 0..5000 {
            assert!(limiter.take_at(&format!("b{n}"), 10.0, 5, later).is_ok());
        }
        let left = limiter.len();
        assert!(left < 5000 + 5000 / 4, "{left} buckets kept");
        // a bucket still in use is never dropped: its limit holds
        let limiter = RateLimiter::default();
        for _ in 0..5 {
            assert!(limiter.take_at("busy", 0.001, 5, start).is_ok());
        }
        for n in 0..10_000 {
            let _ = limiter.take_at(&format!("c{n}"), 1000.0, 1, later);
        }
        assert!(limiter.take_at("busy", 0.001, 5, later).is_err());
    }

    #[test]
    fn many_clients_stay_within_the_capacity() {
        let limiter = RateLimiter::with_capacity(SHARDS * 16);
        let now = Instant::now();
        // never refilled (rate ~0): nothing expires, so eviction bounds it
        for n in 0..50_000 {
            let _ = limiter.take_at(&format!("flood-{n}"), 1e-9, 10, now);
        }
        assert!(limiter.len() <= SHARDS * 16, "{}", limiter.len());
        // and a new client still gets its full burst
        for _ in 0..10 {
            assert!(limiter.take_at("new", 1e-9, 10, now).is_ok());
        }
        assert!(limiter.take_at("new", 1e-9, 10, now).is_err());
    }

    #[test]
    fn a_locked_shard_does_not_block_clients_of_other_shards() {
        let limiter = std::sync::Arc::new(RateLimiter::default());
        let index = |c: &str| (limiter.hasher.hash_one(c) % SHARDS as u64) as usize;
        let held = index("held");
        let other = (0..)
            .map(|n| format!("other-{n}"))
            .find(|c| index(c) != held)
            .unwrap();
        // a sweep (or anything) holding one shard's lock...
        let guard = limiter.shards[held].lock().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let worker = {
            let limiter = limiter.clone();
            std::thread::spawn(move || tx.send(limiter.take(&other, 1.0, 1).is_ok()).unwrap())
        };
        // ...leaves a client of another shard served meanwhile
        let served = rx.recv_timeout(Duration::from_secs(5));
        drop(guard);
        worker.join().unwrap();
        assert_eq!(served, Ok(true));
    }
}
