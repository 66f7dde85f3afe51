//! [`EventStore`] on the coordinator's PostgreSQL tables. Every filter is
//! a bound parameter; keyset pagination on (sort key, id) uses the indexes
//! of the coordinator's and the API's migrations.

use std::collections::HashMap;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::{Error, EventStore, SourceDocuments, query_err};
use crate::filter::{CursorKey, Filter, SortField};
use crate::model::{Event, EventDetail, Evidence, HistoryEntry, Project};
use crate::time::rfc3339;

/// Events in PostgreSQL.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

const EVENT_COLUMNS: &str = "id, project, symbol, status, event_date, date_precision, confidence,
    corroboration, watchlist, (extract(epoch FROM first_seen) * 1000000)::bigint,
    (extract(epoch FROM last_seen) * 1000000)::bigint, version, coalesce(change_seq, 0)";

fn event(row: &PgRow) -> Event {
    let first_seen_us: i64 = row.get(9);
    let last_seen_us: i64 = row.get(10);
    Event {
        id: row.get(0),
        project: row.get(1),
        symbol: row.get(2),
        status: row.get(3),
        event_date: row.get(4),
        date_precision: row.get(5),
        confidence: row.get(6),
        corroboration: row.get(7),
        watchlist: row.get(8),
        first_seen: rfc3339(first_seen_us),
        last_seen: rfc3339(last_seen_us),
        version: row.get(11),
        change_seq: row.get(12),
        first_seen_us,
        last_seen_us,
    }
}

fn micros(column: &str) -> String {
    format!("(extract(epoch FROM {column}) * 1000000)::bigint")
}

impl PostgresStore {
    /// Connects, applies the coordinator's migrations (the tables the API
    /// reads) and the API's own.
    ///
    /// # Errors
    ///
    /// The database is unreachable or a migration fails.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, Error> {
        // the coordinator's tables first (its migrator is its own)
        drop(memory_coordinator::synth::Synthesizer::connect(url).await?);
        // plans for the actual filter values: a generic plan cannot use the
        // prefix index for `LIKE $1` and picks one order for every filter mix
        let options = PgConnectOptions::from_str(url)
            .map_err(Error::Connect)?
            .options([("plan_cache_mode", "force_custom_plan")]);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(Error::Connect)?;
        let mut migrator = sqlx::migrate!("./migrations");
        // the queen and the coordinator keep their own migrations here too
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool (API keys live in the same database).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn push_key(q: &mut QueryBuilder<Postgres>, sort: SortField) {
    q.push(match sort {
        SortField::LastSeen => "last_seen",
        SortField::FirstSeen => "first_seen",
        SortField::Confidence => "confidence",
        SortField::EventDate => "coalesce(event_start, DATE '9999-12-31')",
    });
}

fn push_time(q: &mut QueryBuilder<Postgres>, micros: i64) {
    q.push("(TIMESTAMPTZ 'epoch' + ")
        .push_bind(micros)
        .push(" * INTERVAL '1 microsecond')");
}

fn like_prefix(prefix: &str) -> String {
    let escaped = prefix
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{escaped}%")
}

#[async_trait::async_trait]
impl EventStore for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn list(&self, f: &Filter) -> Result<Vec<Event>, Error> {
        let mut q = QueryBuilder::<Postgres>::new(format!(
            "SELECT {EVENT_COLUMNS} FROM tge_events WHERE true"
        ));
        if let Some(p) = &f.project {
            q.push(" AND project_key = ").push_bind(p.clone());
        }
        if let Some(p) = &f.project_prefix {
            q.push(" AND project_key LIKE ").push_bind(like_prefix(p));
        }
        if let Some(s) = &f.symbol {
            q.push(" AND symbol_key = ").push_bind(s.clone());
        }
        if !f.statuses.is_empty() {
            q.push(" AND status = ANY(")
                .push_bind(f.statuses.clone())
                .push(")");
        }
        if let Some(d) = &f.date_from {
            q.push(" AND event_start >= ")
                .push_bind(d.clone())
                .push("::date");
        }
        if let Some(d) = &f.date_to {
            q.push(" AND event_start <= ")
                .push_bind(d.clone())
                .push("::date");
        }
        if let Some(t) = f.since_us {
            q.push(" AND first_seen >= ");
            push_time(&mut q, t);
        }
        if let Some(t) = f.until_us {
            q.push(" AND first_seen < ");
            push_time(&mut q, t);
        }
        if let Some(c) = f.min_confidence {
            q.push(" AND confidence >= ").push_bind(c);
        }
        if let Some(k) = &f.source_kind {
            q.push(" AND EXISTS (SELECT 1 FROM evidence v WHERE v.event_id = tge_events.id AND v.source_kind = ")
                .push_bind(k.clone())
                .push(")");
        }
        if f.watchlist {
            q.push(" AND watchlist");
        }
        let (cmp, dir) = if f.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some((key, id)) = &f.after {
            q.push(" AND (");
            push_key(&mut q, f.sort);
            q.push(", id) ").push(cmp).push(" (");
            match key {
                CursorKey::Time(t) => push_time(&mut q, *t),
                CursorKey::Confidence(c) => {
                    q.push_bind(*c);
                }
                CursorKey::Date(d) => {
                    q.push_bind(d.clone()).push("::date");
                }
            }
            q.push(", ").push_bind(*id).push(")");
        }
        q.push(" ORDER BY ");
        push_key(&mut q, f.sort);
        q.push(format!(" {dir}, id {dir} LIMIT "))
            .push_bind(i64::from(f.limit) + 1);
        let rows = q
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("list events"))?;
        Ok(rows.iter().map(event).collect())
    }

    async fn detail(&self, id: i64) -> Result<Option<EventDetail>, Error> {
        // one statement, one round trip: evidence and history as JSON arrays
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS},
               (SELECT coalesce(json_agg(json_build_array(v.finding_id, v.document_id, d.title,
                    v.source_id, v.source_kind, v.url, v.snippet, v.status, v.confidence, {},
                    v.duplicate_of, v.status_only, v.language)
                    ORDER BY v.observed_at, v.finding_id), '[]')
                FROM evidence v LEFT JOIN documents d ON d.id = v.document_id
                WHERE v.event_id = e.id)::text,
               (SELECT coalesce(json_agg(json_build_array(h.version, h.status, h.confidence,
                    h.corroboration, {}) ORDER BY h.version), '[]')
                FROM event_history h WHERE h.event_id = e.id)::text
             FROM tge_events e WHERE id = $1",
            micros("v.observed_at"),
            micros("h.changed_at")
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("get event"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        type EvidenceRow = (
            String,
            String,
            Option<String>,
            String,
            String,
            String,
            String,
            String,
            f64,
            i64,
            Option<String>,
            bool,
            Option<String>,
        );
        let evidence: Vec<EvidenceRow> = serde_json::from_str(row.get::<&str, _>(13))
            .map_err(|e| Error::Decode(format!("evidence: {e}")))?;
        let history: Vec<(i32, String, f64, i32, i64)> =
            serde_json::from_str(row.get::<&str, _>(14))
                .map_err(|e| Error::Decode(format!("history: {e}")))?;
        Ok(Some(EventDetail {
            event: event(&row),
            evidence: evidence
                .into_iter()
                .map(|v| Evidence {
                    finding_id: v.0,
                    document_id: v.1,
                    document_title: v.2,
                    source_id: v.3,
                    source_kind: v.4,
                    url: v.5,
                    snippet: v.6,
                    status: v.7,
                    confidence: v.8,
                    observed_at: rfc3339(v.9),
                    duplicate_of: v.10,
                    status_only: v.11,
                    language: v.12,
                })
                .collect(),
            history: history
                .into_iter()
                .map(|h| HistoryEntry {
                    version: h.0,
                    status: h.1,
                    confidence: h.2,
                    corroboration: h.3,
                    changed_at: rfc3339(h.4),
                })
                .collect(),
        }))
    }

    async fn projects(&self, prefix: Option<&str>, limit: u32) -> Result<Vec<Project>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT min(project), count(*), max(confidence), max({})
             FROM tge_events WHERE ($1::text IS NULL OR project_key LIKE $1)
             GROUP BY project_key ORDER BY 4 DESC, 1 LIMIT $2",
            micros("last_seen")
        )))
        .bind(prefix.map(like_prefix))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("list projects"))?;
        Ok(rows
            .iter()
            .map(|r| Project {
                project: r.get(0),
                events: r.get(1),
                max_confidence: r.get(2),
                last_seen: rfc3339(r.get(3)),
            })
            .collect())
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

    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<Event>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM tge_events WHERE change_seq > $1
             ORDER BY change_seq LIMIT $2"
        )))
        .bind(seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("changes since"))?;
        Ok(rows.iter().map(event).collect())
    }

    async fn last_seq(&self) -> Result<i64, Error> {
        sqlx::query_scalar("SELECT coalesce(max(change_seq), 0) FROM tge_events")
            .fetch_one(&self.pool)
            .await
            .map_err(query_err("last change"))
    }

    async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(query_err("ping"))
    }
}
