//! Durable storage of the queue behind one small trait, so the scheduler
//! does not care whether PostgreSQL (production), a journal file (the
//! embedded one-process run) or memory (unit tests) keeps its rows.
//!
//! The scheduler keeps the working state in memory; the store only has to
//! (1) hand it back after a restart and (2) apply batches of row changes
//! atomically, in order. Batching is the [`crate::persister`]'s job.

mod copy_text;
mod file;
mod memory;
mod postgres;
#[cfg(test)]
pub(crate) mod test_stores;

pub use file::FileStore;
pub use memory::MemoryStore;
pub use postgres::PostgresStore;

/// Row state: the task still has to run (ready, scheduled or leased).
pub const ROW_PENDING: i16 = 0;
/// Row state: the task is in the dead-letter list.
pub const ROW_DEAD: i16 = 1;

/// One task as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskRow {
    /// Task id (unique across queen epochs).
    pub id: i64,
    /// `swarm.v1.AgentKind` value.
    pub kind: i16,
    /// `swarm.v1.Priority` value.
    pub priority: i16,
    /// [`ROW_PENDING`] or [`ROW_DEAD`].
    pub state: i16,
    /// Attempts made so far (0 before the first lease).
    pub attempts: i32,
    /// Attempts allowed before the task is dead-lettered.
    pub max_attempts: i32,
    /// When the task may run next (Unix ms; at or before now means ready).
    pub run_at_ms: i64,
    /// When the task was submitted (Unix ms).
    pub created_ms: i64,
    /// The submit's dedup key; `None` when it had none.
    pub dedup_key: Option<String>,
    /// Protobuf-encoded `swarm.v1.TaskSpec`.
    #[serde(with = "file::hex")]
    pub spec: Vec<u8>,
    /// Why the last attempt failed; `None` before any failure.
    pub last_error: Option<String>,
}

/// A periodic schedule as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScheduleRow {
    /// Unique schedule name (e.g. `source:<id>`).
    pub name: String,
    /// Protobuf-encoded `swarm.v1.TaskSpec`.
    #[serde(with = "file::hex")]
    pub spec: Vec<u8>,
    /// Period between runs (ms).
    pub interval_ms: i64,
    /// Paused schedules submit nothing until resumed.
    pub paused: bool,
    /// When the schedule next submits its task (Unix ms).
    pub next_run_ms: i64,
}

/// Everything the queen needs back after a restart.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every stored task, pending and dead.
    pub tasks: Vec<TaskRow>,
    /// `swarm.v1.AgentKind` values of paused kinds.
    pub paused_kinds: Vec<i16>,
    /// Every stored schedule.
    pub schedules: Vec<ScheduleRow>,
}

/// A set of changes applied atomically. Each task id appears at most once
/// (in `inserts`, `updates` or `deletes`), so the order inside a batch does
/// not matter.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Batch {
    /// Rows not in the store yet.
    pub inserts: Vec<TaskRow>,
    /// New state of rows already stored (state, attempts, run_at, error).
    pub updates: Vec<TaskRow>,
    /// Ids of rows to delete (finished or discarded tasks).
    pub deletes: Vec<i64>,
    /// (kind, paused)
    pub paused_kinds: Vec<(i16, bool)>,
    /// Schedules created or changed (keyed by name).
    pub schedule_upserts: Vec<ScheduleRow>,
    /// Names of schedules removed.
    pub schedule_deletes: Vec<String>,
}

impl Batch {
    /// Task rows written (inserted, updated or deleted).
    pub fn task_rows(&self) -> usize {
        self.inserts.len() + self.updates.len() + self.deletes.len()
    }

    /// Whether the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty()
            && self.updates.is_empty()
            && self.deletes.is_empty()
            && self.paused_kinds.is_empty()
            && self.schedule_upserts.is_empty()
            && self.schedule_deletes.is_empty()
    }
}

/// A storage failure, with the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Connecting to PostgreSQL failed.
    #[error("cannot connect to the store: {0}")]
    Connect(#[source] sqlx::Error),
    /// The PostgreSQL migrations could not be applied.
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A PostgreSQL statement failed.
    #[error("store operation `{op}` failed: {source}")]
    Query {
        /// The store operation (e.g. `apply`, `load`).
        op: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// Reading or writing the journal file failed.
    #[error("journal {path}: {source}")]
    Journal {
        /// Path of the journal file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A journal line does not decode.
    #[error("journal {path} is corrupt at line {line}: {message}")]
    Corrupt {
        /// Path of the journal file.
        path: String,
        /// 1-based number of the bad line.
        line: usize,
        /// Why it does not decode.
        message: String,
    },
    /// The store refuses the data of a write (not PostgreSQL's own errors:
    /// those are [`Error::Query`]); retrying cannot make it acceptable.
    #[error("store operation `{op}` refused the data: {message}")]
    Refused {
        /// The store operation.
        op: &'static str,
        /// What is wrong with the data.
        message: String,
    },
}

/// SQLSTATE classes of errors in the data itself: 22 data exception (e.g.
/// a NUL in text), 23 integrity constraint violation, 54 program limit
/// exceeded (e.g. a key too long for a btree index).
const DATA_ERROR_CLASSES: [&str; 3] = ["22", "23", "54"];

impl Error {
    /// Whether the store refused the data of the operation, so that the
    /// same write fails again however often it is retried (PostgreSQL
    /// SQLSTATE classes 22, 23 and 54, or [`Error::Refused`]). Connection,
    /// I/O and every other error is not: the store may take it later.
    pub fn is_data_error(&self) -> bool {
        match self {
            Error::Query {
                source: sqlx::Error::Database(db),
                ..
            } => db
                .code()
                .is_some_and(|code| DATA_ERROR_CLASSES.iter().any(|c| code.starts_with(c))),
            Error::Refused { .. } => true,
            _ => false,
        }
    }
}

/// Durable storage of tasks, paused kinds and schedules.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// A short name for logs ("postgres", "memory").
    fn name(&self) -> &'static str;

    /// Starts a new queen epoch (strictly greater than every earlier one),
    /// so ids and lease tokens never repeat across restarts.
    async fn next_epoch(&self) -> Result<u64, Error>;

    /// Loads every stored task, paused kind and schedule.
    async fn load(&self) -> Result<Snapshot, Error>;

    /// Applies `batch` atomically. `retry` is true when an earlier attempt
    /// at the same batch failed — it may have committed without the reply
    /// arriving, so inserts must tolerate rows that already exist.
    async fn apply(&self, batch: &Batch, retry: bool) -> Result<(), Error>;

    /// Housekeeping after many deletes (e.g. VACUUM); may be a no-op.
    async fn maintain(&self) -> Result<(), Error>;
}
