//! Documents, candidates and hot-spot reports: inserted if new (the id
//! makes them idempotent).

use sqlx::PgConnection;

use super::at_ms;
use super::persist::no_nul;
use crate::change::Applied;
use crate::error::{Error, query_err};
use crate::report::Record;

fn stored(rows: u64) -> Applied {
    if rows > 0 {
        Applied::Stored
    } else {
        Applied::Unchanged
    }
}

/// Stores a record that is not a report.
pub(super) async fn store(tx: &mut PgConnection, record: &Record) -> Result<Applied, Error> {
    let rows = match record {
        Record::Report(_) => return Ok(Applied::Unchanged),
        Record::Document(d) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO documents (id, source_id, source_kind, url, title, body,
                published_at, fetched_at, language)
             VALUES ($1, $2, $3, $4, $5, $6, {}, {}, $9)
             ON CONFLICT (id) DO NOTHING",
            at_ms("$7::int8"),
            at_ms("$8::int8")
        )))
        .bind(&d.id)
        .bind(&d.source_id)
        .bind(&d.source_kind)
        .bind(&d.url)
        .bind(no_nul(&d.title))
        .bind(no_nul(&d.text))
        .bind(d.published_unix_ms)
        .bind(d.fetched_unix_ms)
        .bind(&d.language)
        .execute(&mut *tx)
        .await
        .map_err(query_err("insert document"))?,
        Record::HotSpots(h) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO hot_spots (id, reported_at, report)
             VALUES ($1, {}, $3::jsonb) ON CONFLICT (id) DO NOTHING",
            at_ms("$2::int8")
        )))
        .bind(&h.id)
        .bind(h.reported_unix_ms)
        .bind(&h.report)
        .execute(&mut *tx)
        .await
        .map_err(query_err("insert hot spots"))?,
        Record::Candidate(c) => sqlx::query(
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
        .map_err(query_err("insert candidate"))?,
    };
    Ok(stored(rows.rows_affected()))
}
