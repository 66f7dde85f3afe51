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

#[derive(Default)]
struct State {
    epoch: u64,
    tasks: BTreeMap<i64, TaskRow>,
    paused: BTreeMap<i16, ()>,
    schedules: BTreeMap<String, ScheduleRow>,
    batches: u64,
}

impl MemoryStore {
    /// Number of batches applied so far.
    pub fn batches_applied(&self) -> u64 {
        self.lock().batches
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
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
        let state = self.lock();
        Ok(Snapshot {
            tasks: state.tasks.values().cloned().collect(),
            paused_kinds: state.paused.keys().copied().collect(),
            schedules: state.schedules.values().cloned().collect(),
        })
    }

    async fn apply(&self, batch: &Batch, _retry: bool) -> Result<(), Error> {
        let mut state = self.lock();
        for row in batch.inserts.iter().chain(&batch.updates) {
            state.tasks.insert(row.id, row.clone());
        }
        for id in &batch.deletes {
            state.tasks.remove(id);
        }
        for (kind, paused) in &batch.paused_kinds {
            if *paused {
                state.paused.insert(*kind, ());
            } else {
                state.paused.remove(kind);
            }
        }
        for row in &batch.schedule_upserts {
            state.schedules.insert(row.name.clone(), row.clone());
        }
        for name in &batch.schedule_deletes {
            state.schedules.remove(name);
        }
        state.batches += 1;
        Ok(())
    }

    async fn maintain(&self) -> Result<(), Error> {
        Ok(())
    }
}
