//! Group commit: every state change the scheduler makes is sent here, in
//! order, as a [`Write`]. One writer task takes everything that queued up
//! while the previous commit was in flight, folds it into one [`Batch`]
//! (the last write of a task wins), applies it in one transaction and then
//! acknowledges the submitters waiting on it. A submit is acknowledged only
//! once durable, and the hot path never pays one round trip per task.
//!
//! Two failures are told apart ([`crate::store::Error::is_data_error`]):
//! - the store is unreachable or failing (connection lost, disk full): the
//!   same batch is retried with backoff until it lands;
//! - the store refuses the data of some write (PostgreSQL data errors):
//!   retrying cannot help, so the batch is split in halves, in order, until
//!   the refused writes stand alone; they are dropped, their submitters get
//!   an error, and everything else lands. One bad write cannot stop the
//!   queue.
//!
//! The writes queued and not yet committed are bounded ([`Backlog`]): past
//! the limit, submits wait for room (and are refused after a while) and the
//! scheduler leases nothing new, so memory does not grow while the store is
//! slow or away.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, oneshot};

use crate::store::{self, Batch, ScheduleRow, Store, TaskRow};

/// Upper bound of row changes folded into one commit.
const MAX_BATCH_WRITES: usize = 20_000;
/// Deleted rows after which the store is asked for housekeeping.
const MAINTAIN_AFTER_DELETES: u64 = 200_000;
/// Writes queued and not committed above which the queue pushes back.
pub const DEFAULT_MAX_BACKLOG: usize = 100_000;

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

impl Write {
    /// What the write is about, for logs (names quoted and cut short).
    fn describe(&self) -> String {
        fn name(name: &str) -> String {
            let cut: String = name.chars().take(64).collect();
            format!("{cut:?}")
        }
        match self {
            Write::Insert(row) => format!("insert of task {}", row.id),
            Write::Upsert(row) => format!("update of task {}", row.id),
            Write::Delete(id) => format!("delete of task {id}"),
            Write::Paused(kind, paused) => format!("pause ({paused}) of kind {kind}"),
            Write::ScheduleUpsert(row) => format!("upsert of schedule {}", name(&row.name)),
            Write::ScheduleDelete(n) => format!("delete of schedule {}", name(n)),
        }
    }
}

/// What a submitter waiting on its writes is told: `Err` with the store's
/// message when the store refused one of them.
type Ack = oneshot::Sender<Result<(), String>>;

struct Envelope {
    writes: Vec<Write>,
    ack: Option<Ack>,
}

/// Sending side of the writer, owned by the scheduler.
#[derive(Clone)]
pub struct Persister {
    tx: mpsc::UnboundedSender<Envelope>,
    backlog: Backlog,
}

/// Why writes are not durable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotDurable {
    /// The writer stopped before committing them.
    #[error("the persister stopped")]
    Stopped,
    /// The store refused (one of) them for their data; the others landed.
    #[error("the store refused a write: {0}")]
    Refused(String),
}

/// Resolves once the writes it belongs to are durable.
pub struct Durable(oneshot::Receiver<Result<(), String>>);

impl Durable {
    /// Waits for the commit.
    ///
    /// # Errors
    ///
    /// The writer stopped first, or the store refused one of the writes.
    pub async fn wait(self) -> Result<(), NotDurable> {
        match self.0.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(NotDurable::Refused(message)),
            Err(_) => Err(NotDurable::Stopped),
        }
    }
}

/// The writes queued and not yet committed, against a limit.
#[derive(Clone)]
pub struct Backlog(Arc<BacklogState>);

struct BacklogState {
    queued: AtomicUsize,
    limit: usize,
    room: Notify,
}

/// The backlog stayed full for as long as the caller would wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{queued} writes wait for the store (limit {limit}); retry later")]
pub struct Full {
    /// Writes queued when the wait ended.
    pub queued: usize,
    /// The backlog's limit.
    pub limit: usize,
}

/// Room reserved in the backlog by [`Backlog::admit`]; given back on drop
/// (once the operation's writes are queued, which count for themselves).
#[must_use = "the room is given back when this is dropped"]
pub struct Room {
    backlog: Backlog,
    writes: usize,
}

impl Drop for Room {
    fn drop(&mut self) {
        self.backlog.release(self.writes);
    }
}

impl Backlog {
    fn new(limit: usize) -> Self {
        Self(Arc::new(BacklogState {
            queued: AtomicUsize::new(0),
            limit: limit.max(1),
            room: Notify::new(),
        }))
    }

    /// Writes queued (and reserved) and not committed yet.
    pub fn queued(&self) -> usize {
        self.0.queued.load(Ordering::Acquire)
    }

    /// The limit.
    pub fn limit(&self) -> usize {
        self.0.limit
    }

    /// Whether the backlog is at or past its limit.
    pub fn is_full(&self) -> bool {
        self.queued() >= self.0.limit
    }

    /// Reserves room for `writes` more, waiting up to `wait` for the writer
    /// to make it. An empty backlog always has room, however many.
    ///
    /// # Errors
    ///
    /// Still no room after `wait`.
    pub async fn admit(&self, writes: usize, wait: Duration) -> Result<Room, Full> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.0.room.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(room) = self.try_reserve(writes) {
                return Ok(room);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                metrics::counter!("swarm_persist_backpressure_total").increment(1);
                return Err(Full {
                    queued: self.queued(),
                    limit: self.0.limit,
                });
            }
        }
    }

    fn try_reserve(&self, writes: usize) -> Option<Room> {
        let queued = &self.0.queued;
        let mut current = queued.load(Ordering::Acquire);
        loop {
            if current != 0 && current.saturating_add(writes) > self.0.limit {
                return None;
            }
            match queued.compare_exchange_weak(
                current,
                current.saturating_add(writes),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    return Some(Room {
                        backlog: self.clone(),
                        writes,
                    });
                }
                Err(actual) => current = actual,
            }
        }
    }

    fn add(&self, writes: usize) {
        self.0.queued.fetch_add(writes, Ordering::AcqRel);
    }

    fn release(&self, writes: usize) {
        if writes > 0 {
            self.0.queued.fetch_sub(writes, Ordering::AcqRel);
            self.0.room.notify_waiters();
        }
    }
}

impl Persister {
    /// Starts the writer task over `store` with the default backlog limit.
    /// The task ends (after a final commit) once every `Persister` clone is
    /// dropped.
    pub fn start(store: Arc<dyn Store>) -> (Self, tokio::task::JoinHandle<()>) {
        Self::start_with_limit(store, DEFAULT_MAX_BACKLOG)
    }

    /// Like [`Persister::start`], pushing back past `max_backlog` writes.
    pub fn start_with_limit(
        store: Arc<dyn Store>,
        max_backlog: usize,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let backlog = Backlog::new(max_backlog);
        let handle = tokio::spawn(writer(store, rx, backlog.clone()));
        (Self { tx, backlog }, handle)
    }

    /// The backlog of this writer.
    pub fn backlog(&self) -> Backlog {
        self.backlog.clone()
    }

    /// Whether the writer is too far behind to be given more work.
    pub fn backlogged(&self) -> bool {
        self.backlog.is_full()
    }

    /// Queues `writes` without waiting. State changes already made in
    /// memory are always queued; the backlog bounds them by stopping new
    /// work ([`Persister::backlogged`]), not by dropping them.
    pub fn send(&self, writes: Vec<Write>) {
        if writes.is_empty() {
            return;
        }
        let n = writes.len();
        self.backlog.add(n);
        if self.tx.send(Envelope { writes, ack: None }).is_err() {
            self.backlog.release(n);
            tracing::error!("persister stopped; a state change was not queued");
        }
    }

    /// Queues `writes` and returns a handle that resolves once they (and
    /// everything queued before them) are committed.
    pub fn send_durable(&self, writes: Vec<Write>) -> Durable {
        let (ack, rx) = oneshot::channel();
        let n = writes.len();
        self.backlog.add(n);
        if self
            .tx
            .send(Envelope {
                writes,
                ack: Some(ack),
            })
            .is_err()
        {
            // the envelope (and its ack) is dropped: `wait` says Stopped
            self.backlog.release(n);
            tracing::error!("persister stopped; cannot make writes durable");
        }
        Durable(rx)
    }
}

async fn writer(
    store: Arc<dyn Store>,
    mut rx: mpsc::UnboundedReceiver<Envelope>,
    backlog: Backlog,
) {
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
        let refused = match commit(store.as_ref(), &batch, false).await {
            Ok(()) => Vec::new(),
            Err(error) => isolate(store.as_ref(), &envelopes, error).await,
        };
        drop(batch);
        backlog.release(count);
        metrics::gauge!("swarm_persist_backlog_writes").set(backlog.queued() as f64);
        let mut refused = refused.into_iter().peekable();
        for (index, envelope) in envelopes.into_iter().enumerate() {
            let mut outcome = Ok(());
            while let Some((_, message)) = refused.next_if(|(i, _)| *i == index) {
                if outcome.is_ok() {
                    outcome = Err(message);
                }
            }
            if let Some(ack) = envelope.ack {
                let _ = ack.send(outcome);
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

/// Applies `batch`, retrying with backoff while the store fails for any
/// reason but the data: the queue cannot move on without its history, and
/// the submitters waiting for an acknowledgement are better served late
/// than wrongly.
///
/// # Errors
///
/// The store refused the batch's data ([`store::Error::is_data_error`]).
async fn commit(store: &dyn Store, batch: &Batch, mut retry: bool) -> Result<(), store::Error> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut delay = Duration::from_millis(50);
    loop {
        let started = Instant::now();
        match store.apply(batch, retry).await {
            Ok(()) => {
                metrics::histogram!("swarm_persist_commit_seconds")
                    .record(started.elapsed().as_secs_f64());
                metrics::histogram!("swarm_persist_batch_rows").record(batch.task_rows() as f64);
                return Ok(());
            }
            Err(error) if error.is_data_error() => return Err(error),
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

/// After the store refused the data of the batch of `envelopes` (`error`):
/// splits their writes in halves, in order, committing each half that the
/// store takes, until every refused write stands alone. Returns the
/// envelopes (by index, ascending) whose writes were refused, with the
/// store's message; every other write landed, in order.
async fn isolate(
    store: &dyn Store,
    envelopes: &[Envelope],
    error: store::Error,
) -> Vec<(usize, String)> {
    let writes: Vec<(usize, &Write)> = envelopes
        .iter()
        .enumerate()
        .flat_map(|(i, e)| e.writes.iter().map(move |w| (i, w)))
        .collect();
    tracing::warn!(%error, writes = writes.len(), "the store refused a batch; isolating the refused writes");
    let mut refused = Vec::new();
    // each range is committed after every range before it (order kept)
    let mut work: VecDeque<(Range<usize>, Option<store::Error>)> =
        VecDeque::from([(0..writes.len(), Some(error))]);
    while let Some((range, failed)) = work.pop_front() {
        let error = match failed {
            Some(error) => error,
            None => {
                let batch = fold(writes[range.clone()].iter().map(|(_, w)| *w));
                // `retry`: plain upserts, whatever an earlier attempt did
                match commit(store, &batch, true).await {
                    Ok(()) => continue,
                    Err(error) => error,
                }
            }
        };
        if range.len() <= 1 {
            if let Some(&(envelope, write)) = writes.get(range.start) {
                metrics::counter!("swarm_persist_writes_refused_total").increment(1);
                tracing::error!(write = %write.describe(), %error, "the store refused a write; dropped");
                refused.push((envelope, error.to_string()));
            }
            continue;
        }
        let mid = range.start + range.len() / 2;
        work.push_front((mid..range.end, None));
        work.push_front((range.start..mid, None));
    }
    refused
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
    use crate::store::test_stores::{FlakyStore, GatedStore, RefusingStore};
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

    fn schedule(name: &str) -> Write {
        Write::ScheduleUpsert(ScheduleRow {
            name: name.into(),
            spec: vec![],
            interval_ms: 1_000,
            paused: false,
            next_run_ms: 0,
        })
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
        assert_eq!(durable.wait().await, Ok(()));
        let snapshot = store.load().await.unwrap();
        assert_eq!(snapshot.tasks.len(), 99);
        assert!(snapshot.tasks.iter().all(|t| t.id != 5));
        assert!(
            store.batches_applied() < 101,
            "101 writes took {} commits",
            store.batches_applied()
        );
        assert_eq!(persister.backlog().queued(), 0, "all committed");
        drop(persister);
        handle.await.unwrap();
    }

    #[tokio::test]
    async fn a_refused_write_is_dropped_alone_and_everything_else_lands() {
        let store = Arc::new(RefusingStore::new("poison"));
        let (persister, _handle) = Persister::start(store.clone());
        // all queued before the writer runs: one batch (current-thread runtime)
        let before = persister.send_durable(vec![Write::Insert(row(1, ROW_PENDING))]);
        persister.send(vec![schedule("ok-a")]);
        let poisoned = persister.send_durable(vec![
            Write::Insert(row(2, ROW_PENDING)),
            schedule("poison\0name"),
            Write::Insert(row(3, ROW_PENDING)),
        ]);
        let after = persister.send_durable(vec![
            Write::Upsert(row(1, ROW_DEAD)),
            Write::Insert(row(4, ROW_PENDING)),
            schedule("ok-b"),
        ]);
        let waited = tokio::time::timeout(Duration::from_secs(5), async {
            (
                before.wait().await,
                poisoned.wait().await,
                after.wait().await,
            )
        })
        .await
        .expect("a refused write must not block the writer");
        assert_eq!(waited.0, Ok(()));
        assert!(
            matches!(&waited.1, Err(NotDurable::Refused(m)) if m.contains("refused")),
            "{:?}",
            waited.1
        );
        assert_eq!(waited.2, Ok(()));
        let snapshot = store.inner().load().await.unwrap();
        let ids: Vec<i64> = snapshot.tasks.iter().map(|t| t.id).collect();
        assert_eq!(ids, vec![1, 2, 3, 4]);
        assert_eq!(
            snapshot.tasks[0].state, ROW_DEAD,
            "later writes applied in order"
        );
        let names: Vec<&str> = snapshot.schedules.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["ok-a", "ok-b"]);
        // and the writer goes on
        let next = persister.send_durable(vec![Write::Delete(4)]);
        assert_eq!(next.wait().await, Ok(()));
        assert_eq!(persister.backlog().queued(), 0);
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_the_batch_lands() {
        let store = Arc::new(FlakyStore::new(2));
        let (persister, _handle) = Persister::start(store.clone());
        let durable = persister.send_durable(vec![Write::Insert(row(1, ROW_PENDING))]);
        let waited = tokio::time::timeout(Duration::from_secs(5), durable.wait()).await;
        assert_eq!(waited, Ok(Ok(())));
        assert_eq!(store.attempts(), 3, "two failures, then the commit");
        assert!(store.retried(), "the retry is flagged to the store");
        assert_eq!(store.inner().load().await.unwrap().tasks.len(), 1);
    }

    #[tokio::test]
    async fn the_backlog_is_bounded_and_admission_waits_for_room() {
        let store = Arc::new(GatedStore::default());
        let (persister, _handle) = Persister::start_with_limit(store.clone(), 10);
        let backlog = persister.backlog();
        persister.send(vec![Write::Insert(row(0, ROW_PENDING))]);
        store.wait_blocked().await; // the writer is stuck in its commit
        let room = backlog
            .admit(5, Duration::from_millis(10))
            .await
            .expect("room for 5");
        drop(room);
        for id in 1..10 {
            persister.send(vec![Write::Insert(row(id, ROW_PENDING))]);
        }
        assert_eq!(backlog.queued(), 10);
        assert!(persister.backlogged());
        let full = backlog.admit(1, Duration::from_millis(50)).await;
        assert_eq!(
            full.err(),
            Some(Full {
                queued: 10,
                limit: 10
            })
        );
        // room is made while a submit waits: it gets in
        let waiting = tokio::spawn({
            let backlog = backlog.clone();
            async move { backlog.admit(3, Duration::from_secs(10)).await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        store.open();
        assert_eq!(waiting.await.unwrap(), Ok(()));
        let durable = persister.send_durable(Vec::new());
        assert_eq!(durable.wait().await, Ok(()));
        assert!(!persister.backlogged());
        assert_eq!(store.inner().load().await.unwrap().tasks.len(), 10);
    }
}
