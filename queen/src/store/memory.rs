//! A store that keeps rows in process memory: nothing survives the process.
//! For unit tests and throwaway demo runs only; it says so in its name.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{Batch, Error, ScheduleRow, Snapshot, Store, TaskRow};

/// Non-durable in-memory store.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

/// The rows, and how a batch changes them (shared with the file store).
#[derive(Default)]
pub(super) struct State {
    pub(super) epoch: u64,
    pub(super) tasks: BTreeMap<i64, TaskRow>,
    pub(super) paused: BTreeMap<i16, ()>,
    pub(super) schedules: BTreeMap<String, ScheduleRow>,
    batches: u64,
}

impl State {
    /// Applies `batch` (idempotent: inserts overwrite).
    pub(super) fn apply(&mut self, batch: &Batch) {
        for row in batch.inserts.iter().chain(&batch.updates) {
            self.tasks.insert(row.id, row.clone());
        }
        for id in &batch.deletes {
            self.tasks.remove(id);
        }
        for (kind, paused) in &batch.paused_kinds {
            if *paused {
                self.paused.insert(*kind, ());
            } else {
                self.paused.remove(kind);
            }
        }
        for row in &batch.schedule_upserts {
            self.schedules.insert(row.name.clone(), row.clone());
        }
        for name in &batch.schedule_deletes {
            self.schedules.remove(name);
        }
        self.batches += 1;
    }

    /// Everything, as [`Store::load`] returns it.
    pub(super) fn snapshot(&self) -> Snapshot {
        Snapshot {
            tasks: self.tasks.values().cloned().collect(),
            paused_kinds: self.paused.keys().copied().collect(),
            schedules: self.schedules.values().cloned().collect(),
        }
    }
}

impl MemoryStore {
    /// Number of batches applied so far.
    pub fn batches_applied(&self) -> u64 {
        self.lock().batches
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    fn name(&self) -> &'static str {
        "memory (not durable)"
    }

    async fn next_epoch(&self) -> Result<u64, Error> {
        let mut state = self.lock();
        state.epoch += 1;
        Ok(state.epoch)
    }

    async fn load(&self) -> Result<Snapshot, Error> {
        Ok(self.lock().snapshot())
    }

    async fn apply(&self, batch: &Batch, _retry: bool) -> Result<(), Error> {
        self.lock().apply(batch);
        Ok(())
    }

    async fn maintain(&self) -> Result<(), Error> {
        Ok(())
    }
}
