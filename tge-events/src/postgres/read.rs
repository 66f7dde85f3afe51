//! [`Reader`] on PostgreSQL. The list rules of [`crate::filter`] pushed
//! into SQL (every filter a bound parameter, keyset pagination on (sort
//! key, id) over the indexes of the migrations); the behaviour suite checks
//! they agree with the Rust rules.

use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::{PgEvents, micros_of};
use crate::error::{Error, query_err};
use crate::filter::{CursorKey, Filter, SortField};
use crate::store::Reader;
use crate::view::{EventDetail, EventRow, EvidenceRow, HistoryRow, ProjectRow};

fn event_columns() -> String {
    format!(
        "id, project, symbol, status, event_date, date_precision, confidence, corroboration,
         watchlist, {}, {}, version, coalesce(change_seq, 0)",
        micros_of("first_seen"),
        micros_of("last_seen")
    )
}

fn event(row: &PgRow) -> EventRow {
    EventRow {
        id: row.get(0),
        project: row.get(1),
        symbol: row.get(2),
        status: row.get(3),
        event_date: row.get(4),
        date_precision: row.get(5),
        confidence: row.get(6),
        corroboration: row.get(7),
        watchlist: row.get(8),
        first_seen_us: row.get(9),
        last_seen_us: row.get(10),
        version: row.get(11),
        change_seq: row.get(12),
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

fn push_filters(q: &mut QueryBuilder<Postgres>, f: &Filter) {
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
        push_time(q, t);
    }
    if let Some(t) = f.until_us {
        q.push(" AND first_seen < ");
        push_time(q, t);
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
}

#[async_trait::async_trait]
impl Reader for PgEvents {
    async fn list(&self, f: &Filter) -> Result<Vec<EventRow>, Error> {
        let mut q = QueryBuilder::<Postgres>::new(format!(
            "SELECT {} FROM tge_events WHERE true",
            event_columns()
        ));
        push_filters(&mut q, f);
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
            "SELECT {},
               (SELECT coalesce(json_agg(json_build_array(v.finding_id, v.document_id, d.title,
                    v.source_id, v.source_kind, v.url, v.snippet, v.status, v.confidence, {},
                    v.duplicate_of, v.status_only, v.language)
                    ORDER BY v.observed_at, v.finding_id COLLATE \"C\"), '[]')
                FROM evidence v LEFT JOIN documents d ON d.id = v.document_id
                WHERE v.event_id = e.id)::text,
               (SELECT coalesce(json_agg(json_build_array(h.version, h.status, h.confidence,
                    h.corroboration, h.event_date, {}) ORDER BY h.version), '[]')
                FROM event_history h WHERE h.event_id = e.id)::text
             FROM tge_events e WHERE id = $1",
            event_columns(),
            micros_of("v.observed_at"),
            micros_of("h.changed_at")
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_err("get event"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        type Evidence = (
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
        let evidence: Vec<Evidence> =
            serde_json::from_str(row.get::<&str, _>(13)).map_err(|e| Error::Decode {
                what: "evidence",
                detail: e.to_string(),
            })?;
        let history: Vec<(i32, String, f64, i32, Option<String>, i64)> =
            serde_json::from_str(row.get::<&str, _>(14)).map_err(|e| Error::Decode {
                what: "history",
                detail: e.to_string(),
            })?;
        Ok(Some(EventDetail {
            event: event(&row),
            evidence: evidence
                .into_iter()
                .map(|v| EvidenceRow {
                    finding_id: v.0,
                    document_id: v.1,
                    document_title: v.2,
                    source_id: v.3,
                    source_kind: v.4,
                    url: v.5,
                    snippet: v.6,
                    status: v.7,
                    confidence: v.8,
                    observed_us: v.9,
                    duplicate_of: v.10,
                    status_only: v.11,
                    language: v.12,
                })
                .collect(),
            history: history
                .into_iter()
                .map(|h| HistoryRow {
                    version: h.0,
                    status: h.1,
                    confidence: h.2,
                    corroboration: h.3,
                    event_date: h.4,
                    changed_us: h.5,
                })
                .collect(),
        }))
    }

    async fn projects(&self, prefix: Option<&str>, limit: u32) -> Result<Vec<ProjectRow>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT min(project COLLATE \"C\"), count(*), max(confidence), max({})
             FROM tge_events WHERE ($1::text IS NULL OR project_key LIKE $1)
             GROUP BY project_key ORDER BY 4 DESC, 1 LIMIT $2",
            micros_of("last_seen")
        )))
        .bind(prefix.map(like_prefix))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("list projects"))?;
        Ok(rows
            .iter()
            .map(|r| ProjectRow {
                project: r.get(0),
                events: r.get(1),
                max_confidence: r.get(2),
                last_seen_us: r.get(3),
            })
            .collect())
    }

    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<EventRow>, Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM tge_events WHERE change_seq > $1 ORDER BY change_seq LIMIT $2",
            event_columns()
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
}
