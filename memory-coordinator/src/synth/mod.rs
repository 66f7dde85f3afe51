//! Synthesis of findings into TGE events, idempotently (a finding applied
//! twice — a redelivery after a crash — changes nothing the second time).
//! A thin user of [`tge_events`], which owns the event model and tables:
//! this module picks the backend (PostgreSQL, or process memory for the
//! embedded run) and hands it the findings as records.

use std::sync::Arc;

use sqlx::PgPool;
use tge_events::{PgEvents, Synthesis};

use swarm_types::Finding;

pub use tge_events::{Applied, DocumentRecord, Error, MemoryEvents};

/// Connections of the coordinator's pool.
const MAX_CONNECTIONS: u32 = 8;

/// Where events are synthesized: PostgreSQL, or process memory for the
/// embedded run.
#[derive(Clone)]
pub enum Synthesizer {
    /// Events in PostgreSQL (the deployed run).
    Postgres(PgEvents),
    /// Events in process memory (the embedded run).
    Memory(Arc<MemoryEvents>),
}

impl Synthesizer {
    /// Connects and applies the event migrations.
    ///
    /// # Errors
    ///
    /// The database is unreachable or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Ok(Self::Postgres(
            PgEvents::connect(url, MAX_CONNECTIONS).await?,
        ))
    }

    /// A synthesizer keeping events in process memory (embedded run).
    pub fn in_memory() -> (Self, Arc<MemoryEvents>) {
        let events = Arc::new(MemoryEvents::default());
        (Self::Memory(events.clone()), events)
    }

    /// A synthesizer keeping events in process memory, journaled to `path`
    /// so that they survive a restart (embedded run with a data directory).
    ///
    /// # Errors
    ///
    /// The journal cannot be read or written.
    pub fn journaled(path: &std::path::Path) -> Result<(Self, Arc<MemoryEvents>), Error> {
        let events = Arc::new(MemoryEvents::open(path)?);
        Ok((Self::Memory(events.clone()), events))
    }

    /// The connection pool (PostgreSQL only).
    pub fn pool(&self) -> Option<&PgPool> {
        match self {
            Self::Postgres(events) => Some(events.pool()),
            Self::Memory(_) => None,
        }
    }

    /// Applies one finding (in its own transaction).
    ///
    /// # Errors
    ///
    /// A database failure (the finding should be retried).
    pub async fn apply(&self, finding: &Finding) -> Result<Applied, Error> {
        let mut outcomes = self.apply_batch(std::slice::from_ref(finding)).await?;
        Ok(outcomes.pop().unwrap_or(Applied::Unchanged))
    }

    /// Applies findings in order in one transaction (one commit for the
    /// lot); all or nothing.
    ///
    /// # Errors
    ///
    /// A database failure: nothing of the batch is applied.
    pub async fn apply_batch(&self, findings: &[Finding]) -> Result<Vec<Applied>, Error> {
        let records: Vec<tge_events::Record> =
            findings.iter().map(tge_events::Record::from).collect();
        match self {
            Self::Postgres(events) => events.apply_batch(&records).await,
            Self::Memory(events) => events.apply_batch(&records).await,
        }
    }
}
