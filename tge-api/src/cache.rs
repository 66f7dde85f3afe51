//! In-process cache of the hot responses (event lists and details), with
//! strong ETags. Kept fresh by the change feed: any change drops every list
//! and the changed events' details; no entry is served older than
//! `cache_max_age_ms` even if a change went unnoticed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;

/// A rendered response body and its ETag.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The rendered body.
    pub body: Bytes,
    /// ETag of the body (quoted: hash and length).
    pub etag: String,
    stored: Instant,
}

impl Cached {
    /// Wraps a body, computing its ETag (FNV-1a of the bytes).
    pub fn new(body: Vec<u8>) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in &body {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        Self {
            etag: format!("\"{hash:016x}-{:x}\"", body.len()),
            body: Bytes::from(body),
            stored: Instant::now(),
        }
    }
}

/// What a cached response answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Slot {
    /// A list request (its canonical filter text).
    List(String),
    /// An event's detail.
    Detail(i64),
}

/// Removes a slot's in-flight entry when dropped.
struct Leave<'a> {
    inflight: &'a Mutex<HashMap<Slot, Arc<tokio::sync::Mutex<()>>>>,
    slot: Slot,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        lock(self.inflight).remove(&self.slot);
    }
}

/// Cache of list and detail responses.
pub struct ResponseCache {
    lists: Mutex<HashMap<String, Cached>>,
    details: Mutex<HashMap<i64, Cached>>,
    /// One computation per missing slot at a time; the others wait for it.
    inflight: Mutex<HashMap<Slot, Arc<tokio::sync::Mutex<()>>>>,
    generation: AtomicU64,
    capacity: usize,
    max_age: Duration,
}

/// Generation at the start of a query: a result computed before an
/// invalidation is not stored.
#[derive(Debug, Clone, Copy)]
pub struct Generation(u64);

impl ResponseCache {
    /// A cache of at most `capacity` entries per kind.
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        Self {
            lists: Mutex::default(),
            details: Mutex::default(),
            inflight: Mutex::default(),
            generation: AtomicU64::new(0),
            capacity,
            max_age,
        }
    }

    /// The current generation.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    fn fresh(&self, c: &Cached) -> bool {
        c.stored.elapsed() < self.max_age
    }

    fn peek(&self, slot: &Slot) -> Option<Cached> {
        match slot {
            Slot::List(key) => lock(&self.lists)
                .get(key)
                .filter(|c| self.fresh(c))
                .cloned(),
            Slot::Detail(id) => lock(&self.details)
                .get(id)
                .filter(|c| self.fresh(c))
                .cloned(),
        }
    }

    /// The cached answer of `slot`, or `compute`'s (then cached). Concurrent
    /// misses of one slot compute it once: the others wait and take the
    /// result, so an expiry or a change never sends a burst of identical
    /// queries to the store.
    ///
    /// # Errors
    ///
    /// `compute`'s error (nothing is cached then).
    pub async fn get_or_compute<E, Fut>(
        &self,
        slot: Slot,
        compute: impl FnOnce() -> Fut,
    ) -> Result<Cached, E>
    where
        Fut: std::future::Future<Output = Result<Vec<u8>, E>>,
    {
        let hit = self.peek(&slot);
        count(hit.is_some());
        if let Some(hit) = hit {
            return Ok(hit);
        }
        let gate = lock(&self.inflight)
            .entry(slot.clone())
            .or_default()
            .clone();
        // the entry goes when this call ends, finished or dropped (a client
        // that disconnects mid-query must not leave it behind)
        let _leave = Leave {
            inflight: &self.inflight,
            slot: slot.clone(),
        };
        let _turn = gate.lock().await;
        if let Some(hit) = self.peek(&slot) {
            return Ok(hit);
        }
        let generation = self.generation();
        let result = compute().await.map(Cached::new);
        if let Ok(cached) = &result {
            match slot.clone() {
                Slot::List(key) => self.put_list(key, generation, cached.clone()),
                Slot::Detail(id) => self.put_detail(id, generation, cached.clone()),
            }
        }
        result
    }

    /// A cached list response.
    pub fn list(&self, key: &str) -> Option<Cached> {
        let hit = lock(&self.lists)
            .get(key)
            .filter(|c| self.fresh(c))
            .cloned();
        count(hit.is_some());
        hit
    }

    /// A cached detail response.
    pub fn detail(&self, id: i64) -> Option<Cached> {
        let hit = lock(&self.details)
            .get(&id)
            .filter(|c| self.fresh(c))
            .cloned();
        count(hit.is_some());
        hit
    }

    /// Stores a list response computed in generation `at`.
    pub fn put_list(&self, key: String, at: Generation, value: Cached) {
        let mut lists = lock(&self.lists);
        if self.generation().0 == at.0 && self.capacity > 0 {
            if lists.len() >= self.capacity {
                lists.clear();
            }
            lists.insert(key, value);
        }
    }

    /// Stores a detail response computed in generation `at`.
    pub fn put_detail(&self, id: i64, at: Generation, value: Cached) {
        let mut details = lock(&self.details);
        if self.generation().0 == at.0 && self.capacity > 0 {
            if details.len() >= self.capacity {
                details.clear();
            }
            details.insert(id, value);
        }
    }

    /// Events `ids` changed: drop every list and their details.
    pub fn invalidate(&self, ids: &[i64]) {
        let mut lists = lock(&self.lists);
        let mut details = lock(&self.details);
        self.generation.fetch_add(1, Ordering::AcqRel);
        lists.clear();
        for id in ids {
            details.remove(id);
        }
    }

    /// Drops everything; returns how many entries were dropped.
    pub fn clear(&self) -> u64 {
        let mut lists = lock(&self.lists);
        let mut details = lock(&self.details);
        self.generation.fetch_add(1, Ordering::AcqRel);
        let dropped = (lists.len() + details.len()) as u64;
        lists.clear();
        details.clear();
        dropped
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn count(hit: bool) {
    metrics::counter!("tge_api_cache_total", "result" => if hit { "hit" } else { "miss" })
        .increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidation_drops_lists_and_blocks_stale_puts() {
        let cache = ResponseCache::new(10, Duration::from_secs(60));
        let before = cache.generation();
        cache.put_list("a".into(), before, Cached::new(b"[1]".to_vec()));
        cache.put_detail(1, before, Cached::new(b"{}".to_vec()));
        cache.put_detail(2, before, Cached::new(b"{}".to_vec()));
        assert!(cache.list("a").is_some());
        cache.invalidate(&[1]);
        assert!(cache.list("a").is_none());
        assert!(cache.detail(1).is_none());
        assert!(cache.detail(2).is_some(), "unchanged details stay");
        cache.put_list("a".into(), before, Cached::new(b"[0]".to_vec()));
        assert!(
            cache.list("a").is_none(),
            "a result older than the change is not kept"
        );
        assert_ne!(
            Cached::new(b"x".to_vec()).etag,
            Cached::new(b"y".to_vec()).etag
        );
    }

    #[tokio::test]
    async fn concurrent_misses_compute_once() {
        let cache = Arc::new(ResponseCache::new(10, Duration::from_secs(60)));
        let computed = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, computed) = (cache.clone(), computed.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_compute(Slot::Detail(7), || async {
                        computed.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, ()>(b"{}".to_vec())
                    })
                    .await
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().is_ok());
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_abandoned_computation_leaves_nothing_behind() {
        let cache = ResponseCache::new(10, Duration::from_secs(60));
        let slow = cache.get_or_compute(Slot::List("q=1".into()), || async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, ()>(Vec::new())
        });
        // the client went away: the query future is dropped mid-way
        assert!(
            tokio::time::timeout(Duration::from_millis(20), slow)
                .await
                .is_err()
        );
        assert!(lock(&cache.inflight).is_empty());
    }

    #[test]
    fn old_entries_are_not_served() {
        let cache = ResponseCache::new(10, Duration::ZERO);
        cache.put_list("a".into(), cache.generation(), Cached::new(b"[]".to_vec()));
        assert!(cache.list("a").is_none());
    }
}
