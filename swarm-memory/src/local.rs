//! The in-process backend: the same semantics as Redis for one process
//! (embedded run, unit tests). Streams keep a pending list per group so
//! that claiming and acknowledging behave as with XREADGROUP/XAUTOCLAIM.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, broadcast, mpsc};

use crate::memory::{Delivery, Memory, RateDecision, Result, Subscription};

#[derive(Default)]
struct Group {
    /// Highest entry sequence delivered to the group.
    last_delivered: u64,
    /// seq -> (consumer, delivered at)
    pending: BTreeMap<u64, (String, Instant)>,
}

#[derive(Default)]
struct Stream {
    entries: BTreeMap<u64, Vec<u8>>,
    next_seq: u64,
    groups: HashMap<String, Group>,
}

#[derive(Default)]
struct State {
    streams: HashMap<String, Stream>,
    values: HashMap<String, (String, Instant)>,
    buckets: HashMap<String, (f64, Instant)>,
    lists: HashMap<String, (VecDeque<String>, Instant)>,
}

/// In-process memory.
pub struct LocalMemory {
    state: Mutex<State>,
    appended: Notify,
    bus: broadcast::Sender<(String, Vec<u8>)>,
}

impl Default for LocalMemory {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            appended: Notify::new(),
            bus: broadcast::channel(4096).0,
        }
    }
}

fn entry_id(seq: u64) -> String {
    format!("0-{seq}")
}

fn seq_of(id: &str) -> Option<u64> {
    id.rsplit('-').next()?.parse().ok()
}

impl LocalMemory {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn deliver_new(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        count: usize,
    ) -> Vec<Delivery> {
        let mut state = self.lock();
        let Some(s) = state.streams.get_mut(stream) else {
            return Vec::new();
        };
        let Some(g) = s.groups.get_mut(group) else {
            return Vec::new();
        };
        let now = Instant::now();
        let mut out = Vec::new();
        for (seq, payload) in s.entries.range(g.last_delivered + 1..).take(count) {
            g.pending.insert(*seq, (consumer.to_string(), now));
            out.push(Delivery {
                id: entry_id(*seq),
                payload: payload.clone(),
            });
        }
        if let Some(last) = out.last().and_then(|d| seq_of(&d.id)) {
            g.last_delivered = last;
        }
        out
    }

    fn subscription(&self, channels: &[String]) -> Subscription {
        let mut bus = self.bus.subscribe();
        let wanted: Vec<String> = channels.to_vec();
        let (tx, rx) = mpsc::channel(1024);
        let guard = tokio::spawn(async move {
            loop {
                match bus.recv().await {
                    Ok((channel, payload)) if wanted.contains(&channel) => {
                        if tx.send((channel, payload)).await.is_err() {
                            break;
                        }
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        Subscription {
            rx,
            _guard: Some(guard),
        }
    }
}

#[async_trait::async_trait]
impl Memory for LocalMemory {
    fn backend(&self) -> &'static str {
        "local"
    }

    async fn append(&self, stream: &str, payload: &[u8], max_len: u64) -> Result<String> {
        let id = {
            let mut state = self.lock();
            let s = state.streams.entry(stream.to_string()).or_default();
            s.next_seq += 1;
            let seq = s.next_seq;
            s.entries.insert(seq, payload.to_vec());
            while s.entries.len() as u64 > max_len.max(1) {
                s.entries.pop_first();
            }
            entry_id(seq)
        };
        self.appended.notify_waiters();
        Ok(id)
    }

    async fn create_group(&self, stream: &str, group: &str) -> Result<()> {
        let mut state = self.lock();
        let s = state.streams.entry(stream.to_string()).or_default();
        s.groups.entry(group.to_string()).or_default();
        Ok(())
    }

    async fn read_group(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<Delivery>> {
        let deadline = tokio::time::Instant::now() + block;
        loop {
            let notified = self.appended.notified();
            let out = self.deliver_new(stream, group, consumer, count);
            if !out.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(out);
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    async fn ack(&self, stream: &str, group: &str, ids: &[String]) -> Result<u64> {
        let mut state = self.lock();
        let Some(g) = state
            .streams
            .get_mut(stream)
            .and_then(|s| s.groups.get_mut(group))
        else {
            return Ok(0);
        };
        Ok(ids
            .iter()
            .filter_map(|id| seq_of(id))
            .filter(|seq| g.pending.remove(seq).is_some())
            .count() as u64)
    }

    async fn claim_idle(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        count: usize,
        start: &str,
    ) -> Result<(String, Vec<Delivery>)> {
        let head = || entry_id(0);
        let mut state = self.lock();
        let Some(s) = state.streams.get_mut(stream) else {
            return Ok((head(), Vec::new()));
        };
        let Some(g) = s.groups.get_mut(group) else {
            return Ok((head(), Vec::new()));
        };
        let from = seq_of(start).unwrap_or(0);
        let now = Instant::now();
        let mut out = Vec::new();
        let mut trimmed = Vec::new();
        let mut next = head();
        for (seq, (owner, at)) in g.pending.range_mut(from..) {
            if out.len() >= count {
                next = entry_id(*seq);
                break;
            }
            if now.duration_since(*at) < min_idle {
                continue;
            }
            match s.entries.get(seq) {
                Some(payload) => {
                    *owner = consumer.to_string();
                    *at = now;
                    out.push(Delivery {
                        id: entry_id(*seq),
                        payload: payload.clone(),
                    });
                }
                None => trimmed.push(*seq), // trimmed away: nothing to claim
            }
        }
        for seq in trimmed {
            g.pending.remove(&seq);
        }
        Ok((next, out))
    }

    async fn pending(&self, stream: &str, group: &str) -> Result<u64> {
        let state = self.lock();
        Ok(state
            .streams
            .get(stream)
            .and_then(|s| s.groups.get(group))
            .map_or(0, |g| g.pending.len() as u64))
    }

    async fn stream_len(&self, stream: &str) -> Result<u64> {
        Ok(self
            .lock()
            .streams
            .get(stream)
            .map_or(0, |s| s.entries.len() as u64))
    }

    async fn recent(&self, stream: &str, count: usize) -> Result<Vec<Delivery>> {
        let state = self.lock();
        Ok(state.streams.get(stream).map_or_else(Vec::new, |s| {
            s.entries
                .iter()
                .rev()
                .take(count)
                .map(|(seq, p)| Delivery {
                    id: entry_id(*seq),
                    payload: p.clone(),
                })
                .collect()
        }))
    }

    async fn publish(&self, channel: &str, payload: &[u8]) -> Result<()> {
        let _ = self.bus.send((channel.to_string(), payload.to_vec()));
        Ok(())
    }

    async fn subscribe(&self, channels: &[String]) -> Result<Subscription> {
        Ok(self.subscription(channels))
    }

    async fn spublish(&self, channel: &str, payload: &[u8]) -> Result<()> {
        self.publish(channel, payload).await
    }

    async fn ssubscribe(&self, channels: &[String]) -> Result<Subscription> {
        Ok(self.subscription(channels))
    }

    async fn set_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        let mut state = self.lock();
        let now = Instant::now();
        if state.values.get(key).is_some_and(|(_, exp)| *exp > now) {
            return Ok(false);
        }
        state
            .values
            .insert(key.to_string(), (value.to_string(), now + ttl));
        Ok(true)
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        let mut state = self.lock();
        state
            .values
            .insert(key.to_string(), (value.to_string(), Instant::now() + ttl));
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<String>> {
        let state = self.lock();
        Ok(state
            .values
            .get(key)
            .filter(|(_, exp)| *exp > Instant::now())
            .map(|(v, _)| v.clone()))
    }

    async fn take_token(&self, key: &str, rate_per_sec: f64, burst: u32) -> Result<RateDecision> {
        let mut state = self.lock();
        let now = Instant::now();
        let burst = f64::from(burst.max(1));
        let (tokens, at) = state.buckets.get(key).copied().unwrap_or((burst, now));
        let tokens = (tokens + now.duration_since(at).as_secs_f64() * rate_per_sec).min(burst);
        let decision = if tokens >= 1.0 {
            state.buckets.insert(key.to_string(), (tokens - 1.0, now));
            RateDecision {
                allowed: true,
                retry_after: Duration::ZERO,
            }
        } else {
            state.buckets.insert(key.to_string(), (tokens, now));
            RateDecision {
                allowed: false,
                retry_after: Duration::from_secs_f64((1.0 - tokens) / rate_per_sec.max(1e-9)),
            }
        };
        Ok(decision)
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Duration,
    ) -> Result<bool> {
        let mut state = self.lock();
        let now = Instant::now();
        let current = state
            .values
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.as_str());
        if current != expected {
            return Ok(false);
        }
        state
            .values
            .insert(key.to_string(), (value.to_string(), now + ttl));
        Ok(true)
    }

    async fn push_capped(
        &self,
        key: &str,
        value: &str,
        max_len: usize,
        ttl: Duration,
    ) -> Result<()> {
        let mut state = self.lock();
        let now = Instant::now();
        let entry = state
            .lists
            .entry(key.to_string())
            .or_insert_with(|| (VecDeque::new(), now));
        if entry.1 <= now {
            entry.0.clear();
        }
        entry.0.push_front(value.to_string());
        entry.0.truncate(max_len.max(1));
        entry.1 = now + ttl;
        Ok(())
    }

    async fn newest(&self, key: &str, count: usize) -> Result<Vec<String>> {
        let state = self.lock();
        Ok(state
            .lists
            .get(key)
            .filter(|(_, exp)| *exp > Instant::now())
            .map(|(list, _)| list.iter().take(count).cloned().collect())
            .unwrap_or_default())
    }
}
