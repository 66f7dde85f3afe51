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
    pub id: i64,
    /// `swarm.v1.AgentKind` value.
    pub kind: i16,
    /// `swarm.v1.Priority` value.
    pub priority: i16,
    /// [`ROW_PENDING`] or [`ROW_DEAD`].
    pub state: i16,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at_ms: i64,
    pub created_ms: i64,
    pub dedup_key: Option<String>,
    /// Protobuf-encoded `swarm.v1.TaskSpec`.
    #[serde(with = "file::hex")]
    pub spec: Vec<u8>,
    pub last_error: Option<String>,
}

/// A periodic schedule as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScheduleRow {
    pub name: String,
    /// Protobuf-encoded `swarm.v1.TaskSpec`.
    #[serde(with = "file::hex")]
    pub spec: Vec<u8>,
    pub interval_ms: i64,
    pub paused: bool,
    pub next_run_ms: i64,
}

/// Everything the queen needs back after a restart.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub tasks: Vec<TaskRow>,
    /// `swarm.v1.AgentKind` values of paused kinds.
    pub paused_kinds: Vec<i16>,
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
    pub deletes: Vec<i64>,
    /// (kind, paused)
    pub paused_kinds: Vec<(i16, bool)>,
    pub schedule_upserts: Vec<ScheduleRow>,
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
    #[error("cannot connect to the store: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("store operation `{op}` failed: {source}")]
    Query {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("journal {path}: {source}")]
    Journal {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("journal {path} is corrupt at line {line}: {message}")]
    Corrupt {
        path: String,
        line: usize,
        message: String,
    },
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
