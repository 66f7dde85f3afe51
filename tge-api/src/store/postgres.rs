//! [`EventStore`] on PostgreSQL: events through [`tge_events::PgEvents`]
//! (which owns their tables and migrations), sources from the queen's
//! schedules.

use prost::Message;

use sqlx::{PgPool, Row};
use tge_events::{PgEvents, Reader};

use super::{Error, EventStore, SourceRow, convert, query_err};
use crate::filter::Filter;
use crate::model::{Event, EventDetail, Project};

/// Events in PostgreSQL.
#[derive(Clone)]
pub struct PgApiStore {
    events: PgEvents,
    pool: PgPool,
}

fn micros(column: &str) -> String {
    format!("(extract(epoch FROM {column}) * 1000000)::bigint")
}

impl PgApiStore {
    /// Connects, applies the event migrations and the API's own.
    ///
    /// # Errors
    ///
    /// The database is unreachable or a migration fails.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, Error> {
        let events = PgEvents::connect_reader(url, max_connections).await?;
        let pool = events.pool().clone();
        let mut migrator = sqlx::migrate!("./migrations");
        // the queen and the event store keep their own migrations here too
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self { events, pool })
    }

    /// The connection pool (API keys live in the same database).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait::async_trait]
impl EventStore for PgApiStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn list(&self, f: &Filter) -> Result<Vec<Event>, Error> {
        Ok(convert::events(self.events.list(f).await?))
    }

    async fn detail(&self, id: i64) -> Result<Option<EventDetail>, Error> {
        Ok(self.events.detail(id).await?.map(convert::detail))
    }

    async fn projects(&self, prefix: Option<&str>, limit: u32) -> Result<Vec<Project>, Error> {
        Ok(convert::projects(
            self.events.projects(prefix, limit).await?,
        ))
    }

    async fn sources(&self) -> Result<Vec<SourceRow>, Error> {
        let has_schedules: bool = sqlx::query_scalar("SELECT to_regclass('schedules') IS NOT NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(query_err("find schedules"))?;
        if !has_schedules {
            return Ok(Vec::new());
        }
        let schedules = sqlx::query(
            "SELECT name, spec, interval_ms, paused, next_run_ms FROM schedules ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("list schedules"))?;
        let mut sources = Vec::new();
        for row in &schedules {
            let spec: Vec<u8> = row.get(1);
            let Some(fetch) = fetch_source(&spec) else {
                continue;
            };
            let docs = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT count(*), max({}) FROM documents WHERE source_id = $1",
                micros("fetched_at")
            )))
            .bind(&fetch.source_id)
            .fetch_one(&self.pool)
            .await
            .map_err(query_err("source documents"))?;
            sources.push(SourceRow {
                source_id: fetch.source_id,
                schedule: row.get(0),
                url: fetch.url,
                kind: fetch.source_kind,
                interval_ms: row.get(2),
                paused: row.get(3),
                next_run_ms: row.get(4),
                last_fetched_us: docs.get(1),
                documents: docs.get(0),
            });
        }
        Ok(sources)
    }

    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<Event>, Error> {
        Ok(convert::events(
            self.events.changes_since(seq, limit).await?,
        ))
    }

    async fn last_seq(&self) -> Result<i64, Error> {
        Ok(self.events.last_seq().await?)
    }

    async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(query_err("ping"))
    }
}

/// The `FetchSource` task of a schedule's encoded spec, if that is what it
/// runs.
pub(crate) fn fetch_source(spec: &[u8]) -> Option<swarm_proto::v1::FetchSource> {
    use swarm_proto::v1::task_payload::Kind;
    let spec = swarm_proto::v1::TaskSpec::decode(spec).ok()?;
    match spec.payload?.kind? {
        Kind::FetchSource(f) => Some(f),
        _ => None,
    }
}
