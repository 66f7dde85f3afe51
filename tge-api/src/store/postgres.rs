//! [`EventStore`] on PostgreSQL: events through [`tge_events::PgEvents`]
//! (which owns their tables and migrations), documents per source.

use std::collections::HashMap;

use sqlx::{PgPool, Row};
use tge_events::{PgEvents, Reader};

use super::{Error, EventStore, SourceDocuments, query_err};

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

    fn events(&self) -> &dyn Reader {
        &self.events
    }

    async fn source_documents(
        &self,
        source_ids: &[String],
    ) -> Result<HashMap<String, SourceDocuments>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT source_id, count(*), max({}) FROM documents
             WHERE source_id = ANY($1) GROUP BY source_id",
            micros("fetched_at")
        )))
        .bind(source_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("source documents"))?;
        Ok(rows
            .iter()
            .map(|r| {
                let docs = SourceDocuments {
                    documents: r.get(1),
                    last_fetched_us: r.get(2),
                };
                (r.get(0), docs)
            })
            .collect())
    }

    async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(query_err("ping"))
    }
}
