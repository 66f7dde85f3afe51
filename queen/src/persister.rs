//! Group commit: every state change the scheduler makes is sent here, in
//! order, as a [`Write`]. One writer task takes everything that queued up
//! while the previous commit was in flight, folds it into one [`Batch`]
//! (the last write of a task wins), applies it in one transaction and then
//! acknowledges the submitters waiting on it. A submit is acknowledged only
//! once durable, and the hot path never pays one round trip per task.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::store::{Batch, ScheduleRow, Store, TaskRow};

/// Upper bound of row changes folded into one commit.
const MAX_BATCH_WRITES: usize = 20_000;
/// Deleted rows after which the store is asked for housekeeping.
const MAINTAIN_AFTER_DELETES: u64 = 200_000;

/// One change of durable state.
#[derive(Debug, Clone)]
pub enum Write {
    /// A new task row (its first write).
    Insert(TaskRow),
    /// Update (or insert) a task row.
    Upsert(TaskRow),
    /// The task finished (completed or cancelled): forget it.
    Delete(i64),
    /// A kind was paused (`true`) or resumed.
    Paused(i16, bool),
    /// Insert or update a schedule.
    ScheduleUpsert(ScheduleRow),
    /// Remove a schedule.
    ScheduleDelete(String),
}

struct Envelope {
    writes: Vec<Write>,
    ack: Option<oneshot::Sender<()>>,
}

/// Sending side of the writer, owned by the scheduler.
#[derive(Clone)]
pub struct Persister {
    tx: mpsc::UnboundedSender<Envelope>,
}

/// Resolves once the writes it belongs to are durable.
pub struct Durable(Option<oneshot::Receiver<()>>);

impl Durable {
    /// Waits for the commit. `false` if the writer stopped first.
    pub async fn wait(self) -> bool {
        match self.0 {
            Some(rx) => rx.await.is_ok(),
            None => true,
        }
    }
}

impl Persister {
    /// Starts the writer task over `store`. The task ends (after a final
    /// commit) once every `Persister` clone is dropped.
    pub fn start(store: Arc<dyn Store>) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = tokio::spawn(writer(store, rx));
        (Self { tx }, handle)
    }

    /// Queues `writes` without waiting.
    pub fn send(&self, writes: Vec<Write>) {
        if writes.is_empty() {
            return;
        }
        if self.tx.send(Envelope { writes, ack: None }).is_err() {
            tracing::error!("persister stopped; a state change was not queued");
        }
    }

    /// Queues `writes` and returns a handle that resolves once they (and
    /// everything queued before them) are committed.
    pub fn send_durable(&self, writes: Vec<Write>) -> Durable {
        let (ack, rx) = oneshot::channel();
        match self.tx.send(Envelope {
            writes,
            ack: Some(ack),
        }) {
            Ok(()) => Durable(Some(rx)),
            Err(_) => {
                tracing::error!("persister stopped; cannot make writes durable");
                let (_, rx) = oneshot::channel();
                Durable(Some(rx))
            }
        }
    }
}

async fn writer(store: Arc<dyn Store>, mut rx: mpsc::UnboundedReceiver<Envelope>) {
    let mut deletes_since_maintenance = 0u64;
    while let Some(first) = rx.recv().await {
        let mut envelopes = vec![first];
        let mut count = envelopes[0].writes.len();
        while count < MAX_BATCH_WRITES {
            match rx.try_recv() {
                Ok(envelope) => {
                    count += envelope.writes.len();
                    envelopes.push(envelope);
                }
                Err(_) => break,
            }
        }
        let batch = fold(envelopes.iter().flat_map(|e| e.writes.iter()));
        metrics::counter!("swarm_persist_writes_total").increment(count as u64);
        deletes_since_maintenance += batch.deletes.len() as u64;
        commit(store.as_ref(), &batch).await;
        for envelope in envelopes {
            if let Some(ack) = envelope.ack {
                let _ = ack.send(());
            }
        }
        if deletes_since_maintenance >= MAINTAIN_AFTER_DELETES {
            deletes_since_maintenance = 0;
            let store = store.clone();
            tokio::spawn(async move {
                if let Err(error) = store.maintain().await {
                    tracing::warn!(%error, "store maintenance failed");
                }
            });
        }
    }
}

/// Applies `batch`, retrying with backoff until the store takes it: the
/// queue cannot move on without its history, and the submitters waiting for
/// an acknowledgement are better served late than wrongly.
async fn commit(store: &dyn Store, batch: &Batch) {
    if batch.is_empty() {
        return;
    }
    let mut delay = Duration::from_millis(50);
    let mut retry = false;
    loop {
        let started = Instant::now();
        match store.apply(batch, retry).await {
            Ok(()) => {
                metrics::histogram!("swarm_persist_commit_seconds")
                    .record(started.elapsed().as_secs_f64());
                metrics::histogram!("swarm_persist_batch_rows").record(batch.task_rows() as f64);
                return;
            }
            Err(error) => {
                metrics::counter!("swarm_persist_errors_total").increment(1);
                tracing::error!(%error, retry_in_ms = delay.as_millis() as u64, "commit failed");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                retry = true;
            }
        }
    }
}

/// Folds writes into one batch in which the last write of each task or
/// schedule wins. A task inserted and finished within the same batch never
/// touches the store at all (it was acknowledged after this very commit).
pub fn fold<'a>(writes: impl Iterator<Item = &'a Write>) -> Batch {
    enum Last<'a> {
        /// Row state to write; `new` when the row is not in the store yet.
        Row {
            row: &'a TaskRow,
            new: bool,
        },
        Delete,
        /// Inserted and deleted in this batch: nothing to do.
        Nothing,
    }
    let mut tasks: HashMap<i64, Last<'a>> = HashMap::new();
    let mut order = Vec::new();
    let mut paused: HashMap<i16, bool> = HashMap::new();
    let mut schedules: HashMap<&'a str, Option<&'a ScheduleRow>> = HashMap::new();
    for write in writes {
        let (id, next) = match write {
            Write::Insert(row) => (row.id, Last::Row { row, new: true }),
            Write::Upsert(row) => {
                let new = matches!(tasks.get(&row.id), Some(Last::Row { new: true, .. }));
                (row.id, Last::Row { row, new })
            }
            Write::Delete(id) => {
                let next = match tasks.get(id) {
                    Some(Last::Row { new: true, .. }) => Last::Nothing,
                    _ => Last::Delete,
                };
                (*id, next)
            }
            Write::Paused(kind, p) => {
                paused.insert(*kind, *p);
                continue;
            }
            Write::ScheduleUpsert(row) => {
                schedules.insert(&row.name, Some(row));
                continue;
            }
            Write::ScheduleDelete(name) => {
                schedules.insert(name, None);
                continue;
            }
        };
        if tasks.insert(id, next).is_none() {
            order.push(id);
        }
    }
    let mut batch = Batch::default();
    for id in order {
        match tasks.remove(&id) {
            Some(Last::Row { row, new: true }) => batch.inserts.push(row.clone()),
            Some(Last::Row { row, new: false }) => batch.updates.push(row.clone()),
            Some(Last::Delete) => batch.deletes.push(id),
            Some(Last::Nothing) | None => {}
        }
    }
    batch.paused_kinds = paused.into_iter().collect();
    for (name, row) in schedules {
        match row {
            Some(row) => batch.schedule_upserts.push(row.clone()),
            None => batch.schedule_deletes.push(name.to_string()),
        }
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MemoryStore, ROW_DEAD, ROW_PENDING};

    fn row(id: i64, state: i16) -> TaskRow {
        TaskRow {
            id,
            kind: 1,
            priority: 3,
            state,
            attempts: 0,
            max_attempts: 3,
            run_at_ms: 0,
            created_ms: 0,
            dedup_key: None,
            spec: vec![],
            last_error: None,
        }
    }

    #[test]
    fn a_task_inserted_and_finished_in_one_batch_is_never_written() {
        let writes = [
            Write::Insert(row(1, ROW_PENDING)),
            Write::Upsert(row(1, ROW_PENDING)),
            Write::Delete(1),
            Write::Insert(row(2, ROW_PENDING)),
            Write::Upsert(row(2, ROW_DEAD)),
        ];
        let batch = fold(writes.iter());
        assert!(batch.deletes.is_empty());
        assert!(batch.updates.is_empty());
        assert_eq!(
            batch.inserts,
            vec![row(2, ROW_DEAD)],
            "inserted with its final state"
        );
    }

    #[test]
    fn last_write_of_a_task_wins() {
        let writes = [
            Write::Upsert(row(1, ROW_PENDING)),
            Write::Upsert(row(2, ROW_PENDING)),
            Write::Upsert(row(1, ROW_DEAD)),
            Write::Delete(2),
            Write::Paused(3, true),
            Write::Paused(3, false),
        ];
        let batch = fold(writes.iter());
        assert_eq!(batch.updates, vec![row(1, ROW_DEAD)]);
        assert_eq!(batch.deletes, vec![2]);
        assert_eq!(batch.paused_kinds, vec![(3, false)]);
    }

    #[tokio::test]
    async fn durable_resolves_after_the_commit_and_batches_group() {
        let store = Arc::new(MemoryStore::default());
        let (persister, handle) = Persister::start(store.clone());
        for id in 0..100 {
            persister.send(vec![Write::Upsert(row(id, ROW_PENDING))]);
        }
        let durable = persister.send_durable(vec![Write::Delete(5)]);
        assert!(durable.wait().await);
        let snapshot = store.load().await.unwrap();
        assert_eq!(snapshot.tasks.len(), 99);
        assert!(snapshot.tasks.iter().all(|t| t.id != 5));
        assert!(
            store.batches_applied() < 101,
            "101 writes took {} commits",
            store.batches_applied()
        );
        drop(persister);
        handle.await.unwrap();
    }
}
