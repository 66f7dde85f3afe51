//! The change feed: wakes on every notice the coordinator publishes on
//! `swarm:channels:memory-sync` (and at least every `refresh_ms` without
//! one), reads the events changed since the last look from the store,
//! drops their cached responses, and broadcasts them to the SSE clients.
//!
//! The store's change sequence orders the changes; a short look-back covers
//! transactions that commit out of sequence order, and each event is sent
//! once per change.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use swarm_memory::Memory;
use tokio::sync::{Notify, broadcast};

use crate::cache::ResponseCache;
use crate::model::Event;
use crate::store::EventStore;

/// Sequence numbers re-read on every look: a transaction that took its
/// numbers early but committed late (a coordinator lane of a few hundred
/// reports, several lanes and replicas at once) still lands inside it.
const LOOK_BACK: i64 = 2_048;
/// Changes read per query.
const BATCH: u32 = 1_000;

/// One change of an event, as SSE clients receive it.
#[derive(Debug, Clone)]
pub struct Change {
    /// The SSE id (`Last-Event-ID`).
    pub seq: i64,
    /// `created` (first version) or `updated`.
    pub kind: &'static str,
    /// The event after the change.
    pub event: Event,
}

impl Change {
    /// The change of `event`.
    pub fn of(event: Event) -> Self {
        Self {
            seq: event.change_seq,
            kind: if event.version <= 1 {
                "created"
            } else {
                "updated"
            },
            event,
        }
    }
}

/// Subscribing end of the feed.
#[derive(Clone)]
pub struct ChangeFeed {
    tx: broadcast::Sender<Arc<Change>>,
    wake: Arc<Notify>,
}

impl ChangeFeed {
    /// Live changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }

    /// Look for changes now (an admin refresh).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Starts the feed (woken by the notices on a channel of a memory, when
/// given); it runs until the process ends.
pub fn start(
    store: Arc<dyn EventStore>,
    notices: Option<(Arc<dyn Memory>, String)>,
    cache: Arc<ResponseCache>,
    refresh: Duration,
) -> ChangeFeed {
    let (tx, _) = broadcast::channel(4_096);
    let wake = Arc::new(Notify::new());
    if let Some((memory, channel)) = notices {
        tokio::spawn(listen(memory, channel, wake.clone()));
    }
    let feed = ChangeFeed {
        tx: tx.clone(),
        wake: wake.clone(),
    };
    tokio::spawn(follow(store, cache, tx, wake, refresh));
    feed
}

/// Turns notices into wake-ups; re-subscribes if the subscription ends.
async fn listen(memory: Arc<dyn Memory>, channel: String, wake: Arc<Notify>) {
    loop {
        match memory.subscribe(std::slice::from_ref(&channel)).await {
            Ok(mut subscription) => {
                tracing::info!(%channel, "listening for event notices");
                while subscription.recv().await.is_some() {
                    metrics::counter!("tge_api_notices_total").increment(1);
                    wake.notify_one();
                }
                tracing::warn!("event notice subscription ended; subscribing again");
            }
            Err(error) => tracing::warn!(%error, "cannot subscribe to event notices; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn follow(
    store: Arc<dyn EventStore>,
    cache: Arc<ResponseCache>,
    tx: broadcast::Sender<Arc<Change>>,
    wake: Arc<Notify>,
    refresh: Duration,
) {
    let mut last = loop {
        match store.last_seq().await {
            Ok(seq) => break seq,
            Err(error) => {
                tracing::warn!(%error, "cannot read the change sequence; retrying");
                tokio::time::sleep(refresh).await;
            }
        }
    };
    // event id -> change sequence number last sent
    let mut sent: HashMap<i64, i64> = HashMap::new();
    loop {
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(refresh) => {}
        }
        // page through everything after the look-back point: a window full
        // of changes already sent must not hide the newer ones behind it
        let mut from = (last - LOOK_BACK).max(0);
        loop {
            let changes = match store.changes_since(from, BATCH).await {
                Ok(changes) => changes,
                Err(error) => {
                    tracing::warn!(%error, "reading changes failed");
                    break;
                }
            };
            let full = changes.len() as u32 == BATCH;
            if let Some(max) = changes.iter().map(|e| e.change_seq).max() {
                from = from.max(max);
            }
            let new: Vec<Event> = changes
                .into_iter()
                .filter(|e| sent.get(&e.id).is_none_or(|s| *s < e.change_seq))
                .collect();
            if !new.is_empty() {
                let ids: Vec<i64> = new.iter().map(|e| e.id).collect();
                cache.invalidate(&ids);
                for event in new {
                    last = last.max(event.change_seq);
                    sent.insert(event.id, event.change_seq);
                    metrics::counter!("tge_api_changes_total").increment(1);
                    let _ = tx.send(Arc::new(Change::of(event)));
                }
            }
            if !full {
                break;
            }
        }
        sent.retain(|_, seq| *seq > last - LOOK_BACK);
    }
}
