//! Persisting a batch's changes: ids for new events, then every changed
//! event upserted in first-change order (the migrations' trigger numbers
//! them in that order and keeps their period start), the evidence rows and
//! the history rows — one statement each.

use sqlx::PgConnection;

use super::at_ms;
use crate::change::Applied;
use crate::error::{Error, query_err};
use crate::keys::{project_key, symbol_key};
use crate::plan::{Changes, Loaded, changed_events};

/// PostgreSQL text cannot hold NUL characters.
pub(super) fn no_nul(text: &str) -> String {
    text.replace('\0', "")
}

/// Stores `changes`, giving new events their ids (in `loaded` and
/// `outcomes` too).
pub(super) async fn changes(
    tx: &mut PgConnection,
    loaded: &mut Loaded,
    outcomes: &mut [Applied],
    mut changes: Changes,
) -> Result<(), Error> {
    if changes.changed.is_empty() {
        return Ok(());
    }
    let new = changes
        .changed
        .iter()
        .filter(|id| Changes::is_new(**id))
        .count();
    if new > 0 {
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('tge_events', 'id')) FROM generate_series(1, $1)",
        )
        .bind(new as i64)
        .fetch_all(&mut *tx)
        .await
        .map_err(query_err("new event ids"))?;
        ids.sort_unstable();
        if ids.len() != new {
            return Err(Error::Decode {
                what: "event ids",
                detail: format!("asked for {new} ids, got {}", ids.len()),
            });
        }
        changes.assign_ids(outcomes, loaded, |provisional| {
            ids[(-provisional - 1) as usize]
        });
    }
    upsert_events(tx, loaded, &changes).await?;
    insert_evidence(tx, &changes).await?;
    insert_history(tx, &changes).await
}

async fn upsert_events(
    tx: &mut PgConnection,
    loaded: &Loaded,
    changes: &Changes,
) -> Result<(), Error> {
    let events = changed_events(loaded, changes);
    let col = |f: &dyn Fn(&crate::state::EventState) -> String| -> Vec<String> {
        events.iter().map(|e| f(e)).collect()
    };
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let project_keys = col(&|e| project_key(&e.project));
    let symbol_keys = col(&|e| symbol_key(e.symbol.as_deref()));
    let projects = col(&|e| e.project.clone());
    let symbols: Vec<Option<String>> = events.iter().map(|e| e.symbol.clone()).collect();
    let statuses = col(&|e| e.status.name().to_string());
    let dates: Vec<Option<String>> = events.iter().map(|e| e.event_date.clone()).collect();
    let precisions = col(&|e| e.date_precision.clone());
    let confidences: Vec<f64> = events.iter().map(|e| e.confidence).collect();
    let corroborations: Vec<i32> = events.iter().map(|e| e.corroboration).collect();
    let watchlists: Vec<bool> = events.iter().map(|e| e.watchlist).collect();
    let first: Vec<i64> = events.iter().map(|e| e.first_seen_unix_ms).collect();
    let last: Vec<i64> = events.iter().map(|e| e.last_seen_unix_ms).collect();
    let versions: Vec<i32> = events.iter().map(|e| e.version).collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO tge_events (id, project_key, symbol_key, project, symbol, status, event_date,
            date_precision, confidence, corroboration, watchlist, first_seen, last_seen, version)
         SELECT id, pk, sk, p, s, st, d, dp, c, co, w, {}, {}, v
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::float8[], $10::int4[], $11::bool[], $12::int8[],
            $13::int8[], $14::int4[])
            WITH ORDINALITY AS t(id, pk, sk, p, s, st, d, dp, c, co, w, f, l, v, n)
         ORDER BY n
         ON CONFLICT (id) DO UPDATE SET symbol_key = EXCLUDED.symbol_key, symbol = EXCLUDED.symbol,
            status = EXCLUDED.status, event_date = EXCLUDED.event_date,
            date_precision = EXCLUDED.date_precision, confidence = EXCLUDED.confidence,
            corroboration = EXCLUDED.corroboration, watchlist = EXCLUDED.watchlist,
            first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
            version = EXCLUDED.version",
        at_ms("f"),
        at_ms("l")
    )))
    .bind(&ids)
    .bind(&project_keys)
    .bind(&symbol_keys)
    .bind(&projects)
    .bind(&symbols)
    .bind(&statuses)
    .bind(&dates)
    .bind(&precisions)
    .bind(&confidences)
    .bind(&corroborations)
    .bind(&watchlists)
    .bind(&first)
    .bind(&last)
    .bind(&versions)
    .execute(&mut *tx)
    .await
    .map_err(query_err("store events"))?;
    Ok(())
}

async fn insert_evidence(tx: &mut PgConnection, changes: &Changes) -> Result<(), Error> {
    let ev = &changes.evidence;
    let text = |f: &dyn Fn(&crate::plan::NewEvidence) -> String| -> Vec<String> {
        ev.iter().map(f).collect()
    };
    let finding_ids = text(&|e| e.report.id.clone());
    let event_ids: Vec<i64> = ev.iter().map(|e| e.event_id).collect();
    let documents = text(&|e| e.report.document_id.clone());
    let sources = text(&|e| e.report.source_id.clone());
    let kinds = text(&|e| e.report.source_kind.clone());
    let urls = text(&|e| e.report.url.clone());
    let snippets = text(&|e| no_nul(&e.report.snippet));
    let statuses = text(&|e| e.report.status.name().to_string());
    let confidences: Vec<f64> = ev
        .iter()
        .map(|e| {
            if e.report.confidence.is_nan() {
                0.0
            } else {
                e.report.confidence.clamp(0.0, 1.0)
            }
        })
        .collect();
    let observed: Vec<i64> = ev.iter().map(|e| e.report.observed_unix_ms).collect();
    let duplicates: Vec<Option<String>> = ev.iter().map(|e| e.duplicate_of.clone()).collect();
    let status_only: Vec<bool> = ev.iter().map(|e| e.report.status_only).collect();
    let fingerprints: Vec<Option<i64>> = ev
        .iter()
        .map(|e| e.report.fingerprint.map(|f| f as i64))
        .collect();
    let languages: Vec<Option<String>> = ev.iter().map(|e| e.report.language.clone()).collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO evidence (finding_id, event_id, document_id, source_id, source_kind, url,
            snippet, status, confidence, observed_at, duplicate_of, status_only, fingerprint,
            language)
         SELECT fi, ei, di, si, sk, u, sn, st, c, {}, dup, so, fp, lang
         FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::float8[], $10::int8[], $11::text[], $12::bool[],
            $13::int8[], $14::text[])
            AS t(fi, ei, di, si, sk, u, sn, st, c, o, dup, so, fp, lang)
         ON CONFLICT (finding_id) DO NOTHING",
        at_ms("o")
    )))
    .bind(&finding_ids)
    .bind(&event_ids)
    .bind(&documents)
    .bind(&sources)
    .bind(&kinds)
    .bind(&urls)
    .bind(&snippets)
    .bind(&statuses)
    .bind(&confidences)
    .bind(&observed)
    .bind(&duplicates)
    .bind(&status_only)
    .bind(&fingerprints)
    .bind(&languages)
    .execute(&mut *tx)
    .await
    .map_err(query_err("store evidence"))?;
    Ok(())
}

async fn insert_history(tx: &mut PgConnection, changes: &Changes) -> Result<(), Error> {
    let h = &changes.history;
    let event_ids: Vec<i64> = h.iter().map(|h| h.event_id).collect();
    let versions: Vec<i32> = h.iter().map(|h| h.version).collect();
    let statuses: Vec<String> = h.iter().map(|h| h.status.clone()).collect();
    let confidences: Vec<f64> = h.iter().map(|h| h.confidence).collect();
    let corroborations: Vec<i32> = h.iter().map(|h| h.corroboration).collect();
    let changed: Vec<i64> = h.iter().map(|h| h.changed_unix_ms).collect();
    let dates: Vec<Option<String>> = h.iter().map(|h| h.event_date.clone()).collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO event_history (event_id, version, status, confidence, corroboration,
            changed_at, event_date)
         SELECT e, v, s, c, co, {}, d
         FROM unnest($1::int8[], $2::int4[], $3::text[], $4::float8[], $5::int4[], $6::int8[],
            $7::text[]) AS t(e, v, s, c, co, ch, d)",
        at_ms("ch")
    )))
    .bind(&event_ids)
    .bind(&versions)
    .bind(&statuses)
    .bind(&confidences)
    .bind(&corroborations)
    .bind(&changed)
    .bind(&dates)
    .execute(&mut *tx)
    .await
    .map_err(query_err("record history"))?;
    Ok(())
}
