//! Synthesis of findings into PostgreSQL, idempotently: a finding applied
//! twice (a redelivery after a crash) changes nothing the second time.
//!
//! - documents and candidates: insert if new;
//! - detections: find or create the event of (project, symbol), add the
//!   detection as evidence (keyed by the finding id), then recompute the
//!   event from all its evidence — corroboration = distinct sources,
//!   confidence = noisy-or of each source's best confidence, status = the
//!   latest report's, event date = the most precise one — bump its version
//!   and record the change in the history.

mod detection;
mod memory_store;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::finding::Finding;

pub use detection::{EventChange, project_key, symbol_key};
pub use memory_store::{DocumentRecord, EventRecord, HistoryRecord, MemoryEvents};

/// A synthesis failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("synthesis query `{op}` failed: {source}")]
    Query {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("event journal {path}: {message}")]
    Journal { path: String, message: String },
}

impl Error {
    /// Whether trying again may succeed: a lost or refused connection, a
    /// deadlock or serialization failure, a busy or restarting server.
    /// Anything else (a constraint, bad data) fails again the same way.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Connect(_) => true,
            Error::Query { source, .. } => match source {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                    ["08", "40", "53", "57"]
                        .iter()
                        .any(|class| code.starts_with(class))
                        || code == "55P03"
                }),
                _ => false,
            },
            Error::Migrate(_) | Error::Journal { .. } => false,
        }
    }
}

pub(crate) fn query_err(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Query { op, source }
}

/// What applying a finding did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Already applied before (or nothing to store).
    Unchanged,
    /// A document or candidate row was stored.
    Stored,
    /// An event was created or changed.
    Event(EventChange),
}

/// Where events are synthesized: PostgreSQL, or process memory for the
/// embedded run.
#[derive(Clone)]
pub enum Synthesizer {
    Postgres(PgPool),
    Memory(std::sync::Arc<MemoryEvents>),
}

fn ts(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

impl Synthesizer {
    /// Connects and applies the embedded migrations.
    ///
    /// # Errors
    ///
    /// The database is unreachable or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(Error::Connect)?;
        let mut migrator = sqlx::migrate!("./migrations");
        // the queen keeps its own migrations in the same database
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self::Postgres(pool))
    }

    /// A synthesizer keeping events in process memory (embedded run).
    pub fn in_memory() -> (Self, std::sync::Arc<MemoryEvents>) {
        let events = std::sync::Arc::new(MemoryEvents::default());
        (Self::Memory(events.clone()), events)
    }

    /// A synthesizer keeping events in process memory, journaled to `path`
    /// so that they survive a restart (embedded run with a data directory).
    ///
    /// # Errors
    ///
    /// The journal cannot be read or written.
    pub fn journaled(
        path: &std::path::Path,
    ) -> Result<(Self, std::sync::Arc<MemoryEvents>), Error> {
        let events = std::sync::Arc::new(MemoryEvents::open(path)?);
        Ok((Self::Memory(events.clone()), events))
    }

    /// The connection pool (PostgreSQL only).
    pub fn pool(&self) -> Option<&PgPool> {
        match self {
            Self::Postgres(pool) => Some(pool),
            Self::Memory(_) => None,
        }
    }

    /// Applies one finding (in its own transaction).
    ///
    /// # Errors
    ///
    /// A database failure (the finding should be retried).
    pub async fn apply(&self, finding: &Finding) -> Result<Outcome, Error> {
        let mut outcomes = self.apply_batch(std::slice::from_ref(finding)).await?;
        Ok(outcomes.pop().unwrap_or(Outcome::Unchanged))
    }

    /// Applies findings in order in one transaction (one commit for the
    /// lot); all or nothing.
    ///
    /// # Errors
    ///
    /// A database failure: nothing of the batch is applied.
    pub async fn apply_batch(&self, findings: &[Finding]) -> Result<Vec<Outcome>, Error> {
        let pool = match self {
            Self::Postgres(pool) => pool,
            Self::Memory(events) => return events.apply_batch(findings),
        };
        let mut tx = pool.begin().await.map_err(query_err("begin"))?;
        let mut outcomes = Vec::with_capacity(findings.len());
        for finding in findings {
            outcomes.push(apply_one(&mut tx, finding).await?);
        }
        tx.commit().await.map_err(query_err("commit"))?;
        Ok(outcomes)
    }
}

async fn apply_one(tx: &mut sqlx::PgConnection, finding: &Finding) -> Result<Outcome, Error> {
    match finding {
        Finding::Document(d) => {
            let r = sqlx::query(
                "INSERT INTO documents (id, source_id, source_kind, url, title, body,
                    published_at, fetched_at, language)
                 VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7), to_timestamp($8), $9)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&d.id)
            .bind(&d.source_id)
            .bind(&d.source_kind)
            .bind(&d.url)
            .bind(no_nul(&d.title))
            .bind(no_nul(&d.text))
            .bind(d.published_unix_ms.map(ts))
            .bind(ts(d.fetched_unix_ms))
            .bind(&d.language)
            .execute(&mut *tx)
            .await
            .map_err(query_err("insert document"))?;
            Ok(stored(r.rows_affected()))
        }
        Finding::HotSpots(h) => {
            let report = serde_json::to_string(h).unwrap_or_default();
            let r = sqlx::query(
                "INSERT INTO hot_spots (id, reported_at, report)
                 VALUES ($1, to_timestamp($2), $3::jsonb) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&h.id)
            .bind(ts(h.reported_unix_ms))
            .bind(report)
            .execute(&mut *tx)
            .await
            .map_err(query_err("insert hot spots"))?;
            Ok(stored(r.rows_affected()))
        }
        Finding::Candidate(c) => {
            let r = sqlx::query(
                "INSERT INTO candidates (id, document_id, project, symbol, confidence)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&c.id)
            .bind(&c.document_id)
            .bind(&c.project)
            .bind(&c.symbol)
            .bind(c.confidence)
            .execute(&mut *tx)
            .await
            .map_err(query_err("insert candidate"))?;
            Ok(stored(r.rows_affected()))
        }
        Finding::Detection(d) => detection::apply(tx, d).await,
    }
}

/// PostgreSQL text cannot hold NUL characters.
fn no_nul(text: &str) -> String {
    text.replace('\0', "")
}

fn stored(rows: u64) -> Outcome {
    if rows > 0 {
        Outcome::Stored
    } else {
        Outcome::Unchanged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_are_transient_and_bad_data_is_not() {
        let query = |source| Error::Query { op: "test", source };
        assert!(query(sqlx::Error::PoolTimedOut).is_transient());
        assert!(query(sqlx::Error::Io(std::io::Error::other("reset"))).is_transient());
        assert!(!query(sqlx::Error::RowNotFound).is_transient());
        assert!(!query(sqlx::Error::Protocol("bad".into())).is_transient());
    }
}
