//! Stores that misbehave on purpose, for the persister's and the
//! scheduler's tests: one refuses some data, one fails for a while, one
//! holds every commit until it is opened.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use tokio::sync::watch;

use super::{Batch, Error, MemoryStore, Snapshot, Store};

/// Refuses (as a data error) every batch upserting a schedule whose name
/// starts with its marker; applies the others to memory.
pub(crate) struct RefusingStore {
    marker: String,
    inner: MemoryStore,
}

impl RefusingStore {
    pub(crate) fn new(marker: &str) -> Self {
        Self {
            marker: marker.into(),
            inner: MemoryStore::default(),
        }
    }

    pub(crate) fn inner(&self) -> &MemoryStore {
        &self.inner
    }
}

#[async_trait::async_trait]
impl Store for RefusingStore {
    fn name(&self) -> &'static str {
        "refusing (test)"
    }
    async fn next_epoch(&self) -> Result<u64, Error> {
        self.inner.next_epoch().await
    }
    async fn load(&self) -> Result<Snapshot, Error> {
        self.inner.load().await
    }
    async fn apply(&self, batch: &Batch, retry: bool) -> Result<(), Error> {
        if batch
            .schedule_upserts
            .iter()
            .any(|s| s.name.starts_with(&self.marker))
        {
            return Err(Error::Refused {
                op: "upsert schedule",
                message: "refused: a poison name".into(),
            });
        }
        self.inner.apply(batch, retry).await
    }
    async fn maintain(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// Fails its first `failures` commits with an I/O error, then works.
pub(crate) struct FlakyStore {
    failures: u32,
    attempts: AtomicU32,
    retried: AtomicBool,
    inner: MemoryStore,
}

impl FlakyStore {
    pub(crate) fn new(failures: u32) -> Self {
        Self {
            failures,
            attempts: AtomicU32::new(0),
            retried: AtomicBool::new(false),
            inner: MemoryStore::default(),
        }
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::SeqCst)
    }

    pub(crate) fn retried(&self) -> bool {
        self.retried.load(Ordering::SeqCst)
    }

    pub(crate) fn inner(&self) -> &MemoryStore {
        &self.inner
    }
}

#[async_trait::async_trait]
impl Store for FlakyStore {
    fn name(&self) -> &'static str {
        "flaky (test)"
    }
    async fn next_epoch(&self) -> Result<u64, Error> {
        self.inner.next_epoch().await
    }
    async fn load(&self) -> Result<Snapshot, Error> {
        self.inner.load().await
    }
    async fn apply(&self, batch: &Batch, retry: bool) -> Result<(), Error> {
        if retry {
            self.retried.store(true, Ordering::SeqCst);
        }
        if self.attempts.fetch_add(1, Ordering::SeqCst) < self.failures {
            return Err(Error::Journal {
                path: "flaky".into(),
                source: std::io::Error::other("the disk went away"),
            });
        }
        self.inner.apply(batch, retry).await
    }
    async fn maintain(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// Holds every commit until [`GatedStore::open`] is called.
pub(crate) struct GatedStore {
    open: watch::Sender<bool>,
    blocked: watch::Sender<u32>,
    inner: MemoryStore,
}

impl Default for GatedStore {
    fn default() -> Self {
        Self {
            open: watch::Sender::new(false),
            blocked: watch::Sender::new(0),
            inner: MemoryStore::default(),
        }
    }
}

impl GatedStore {
    /// Lets every commit (held or to come) through.
    pub(crate) fn open(&self) {
        self.open.send_replace(true);
    }

    /// Waits until a commit is held at the gate.
    pub(crate) async fn wait_blocked(&self) {
        let mut rx = self.blocked.subscribe();
        let _ = rx.wait_for(|n| *n > 0).await;
    }

    pub(crate) fn inner(&self) -> &MemoryStore {
        &self.inner
    }
}

#[async_trait::async_trait]
impl Store for GatedStore {
    fn name(&self) -> &'static str {
        "gated (test)"
    }
    async fn next_epoch(&self) -> Result<u64, Error> {
        self.inner.next_epoch().await
    }
    async fn load(&self) -> Result<Snapshot, Error> {
        self.inner.load().await
    }
    async fn apply(&self, batch: &Batch, retry: bool) -> Result<(), Error> {
        let mut open = self.open.subscribe();
        if !*open.borrow() {
            self.blocked.send_modify(|n| *n += 1);
            let _ = open.wait_for(|o| *o).await;
        }
        self.inner.apply(batch, retry).await
    }
    async fn maintain(&self) -> Result<(), Error> {
        Ok(())
    }
}
