//! A detection becomes evidence of an event, and the event is recomputed
//! from its evidence.

use sqlx::{PgConnection, Row};

use super::{Error, Outcome, query_err, ts};
use crate::finding::{Detection, Status};
pub use swarm_types::{EventChange, project_key, symbol_key};

fn precision_rank(p: &str) -> u8 {
    match p {
        "day" => 3,
        "month" => 2,
        "quarter" => 1,
        _ => 0,
    }
}

/// Applies a detection inside the caller's transaction.
pub(super) async fn apply(tx: &mut PgConnection, d: &Detection) -> Result<Outcome, Error> {
    let (pkey, skey) = (project_key(&d.project), symbol_key(d.symbol.as_deref()));
    let observed = ts(d.observed_unix_ms);
    // one writer per project at a time, across lanes and replicas
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(&pkey)
        .execute(&mut *tx)
        .await
        .map_err(query_err("lock project"))?;
    if d.status_only {
        return status_report(tx, d, &pkey, observed).await;
    }
    // One event per project (+ symbol): a report without a ticker joins the
    // project's event; a report with one gives a ticker-less event its ticker.
    if !skey.is_empty() {
        sqlx::query(
            "UPDATE tge_events SET symbol_key = $2, symbol = $3
             WHERE project_key = $1 AND symbol_key = ''
               AND NOT EXISTS (SELECT 1 FROM tge_events WHERE project_key = $1 AND symbol_key = $2)",
        )
        .bind(&pkey)
        .bind(&skey)
        .bind(&skey)
        .execute(&mut *tx)
        .await
        .map_err(query_err("adopt ticker"))?;
    }
    let existing = if skey.is_empty() {
        sqlx::query(
            "SELECT id, event_date, date_precision FROM tge_events WHERE project_key = $1
             ORDER BY last_seen DESC, id DESC LIMIT 1 FOR UPDATE",
        )
        .bind(&pkey)
        .fetch_optional(&mut *tx)
        .await
        .map_err(query_err("find event"))?
    } else {
        None
    };
    let row = match existing {
        Some(row) => row,
        None => {
            sqlx::query(
                "INSERT INTO tge_events (project_key, symbol_key, project, symbol, status, event_date,
                    date_precision, confidence, corroboration, watchlist, first_seen, last_seen, version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $8, to_timestamp($9), to_timestamp($9), 0)
                 ON CONFLICT (project_key, symbol_key) DO NOTHING",
            )
            .bind(&pkey)
            .bind(&skey)
            .bind(d.project.trim())
            .bind((!skey.is_empty()).then(|| skey.clone()))
            .bind(d.status.name())
            .bind(&d.event_date)
            .bind(&d.date_precision)
            .bind(d.watchlist)
            .bind(observed)
            .execute(&mut *tx)
            .await
            .map_err(query_err("create event"))?;
            sqlx::query(
                "SELECT id, event_date, date_precision FROM tge_events
                 WHERE project_key = $1 AND symbol_key = $2 FOR UPDATE",
            )
            .bind(&pkey)
            .bind(&skey)
            .fetch_one(&mut *tx)
            .await
            .map_err(query_err("lock event"))?
        }
    };
    let (event_id, old_date, old_precision): (i64, Option<String>, String) =
        (row.get(0), row.get(1), row.get(2));
    if !insert_evidence(tx, d, event_id, observed).await? {
        // already applied: the event row created above (if any) is a no-op
        return Ok(Outcome::Unchanged);
    }
    let better_date = d.event_date.is_some()
        && (old_date.is_none()
            || precision_rank(&d.date_precision) >= precision_rank(&old_precision));
    let (date, precision) = if better_date {
        (d.event_date.clone(), d.date_precision.clone())
    } else {
        (old_date, old_precision)
    };
    recompute(tx, event_id, (date, precision), d, observed).await
}

/// A postponement or cancellation: the project's latest event takes the
/// status (its date and corroboration stay); no event, no change.
async fn status_report(
    tx: &mut PgConnection,
    d: &Detection,
    pkey: &str,
    observed: f64,
) -> Result<Outcome, Error> {
    let Some(row) = sqlx::query(
        "SELECT id, event_date, date_precision FROM tge_events WHERE project_key = $1
         ORDER BY last_seen DESC, id DESC LIMIT 1 FOR UPDATE",
    )
    .bind(pkey)
    .fetch_optional(&mut *tx)
    .await
    .map_err(query_err("find event"))?
    else {
        return Ok(Outcome::Unchanged);
    };
    let event_id: i64 = row.get(0);
    if !insert_evidence(tx, d, event_id, observed).await? {
        return Ok(Outcome::Unchanged);
    }
    recompute(tx, event_id, (row.get(1), row.get(2)), d, observed).await
}

/// Stores the report as evidence of `event_id`; `false` if it was already.
/// A report whose text nearly duplicates an earlier report of another
/// source is marked (the project lock is held: no concurrent report of the
/// event can slip past the comparison).
async fn insert_evidence(
    tx: &mut PgConnection,
    d: &Detection,
    event_id: i64,
    observed: f64,
) -> Result<bool, Error> {
    let duplicate_of = match (&d.duplicate_of, d.fingerprint) {
        (Some(source), _) => Some(source.clone()),
        (None, Some(_)) => {
            let earlier: Vec<(String, i64)> = sqlx::query_as(
                "SELECT source_id, fingerprint FROM evidence
                 WHERE event_id = $1 AND fingerprint IS NOT NULL AND finding_id <> $2
                 ORDER BY observed_at",
            )
            .bind(event_id)
            .bind(&d.id)
            .fetch_all(&mut *tx)
            .await
            .map_err(query_err("read fingerprints"))?;
            crate::finding::duplicate_source(
                d,
                earlier.iter().map(|(s, f)| (s.as_str(), *f as u64)),
            )
        }
        (None, None) => None,
    };
    if duplicate_of.is_some() {
        metrics::counter!("swarm_near_duplicates_total").increment(1);
    }
    let inserted = sqlx::query(
        "INSERT INTO evidence (finding_id, event_id, document_id, source_id, source_kind, url,
            snippet, status, confidence, observed_at, duplicate_of, status_only, fingerprint,
            language)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, to_timestamp($10), $11, $12, $13, $14)
         ON CONFLICT (finding_id) DO NOTHING",
    )
    .bind(&d.id)
    .bind(event_id)
    .bind(&d.document_id)
    .bind(&d.source_id)
    .bind(&d.source_kind)
    .bind(&d.url)
    .bind(d.snippet.replace('\0', ""))
    .bind(d.status.name())
    .bind(d.confidence.clamp(0.0, 1.0))
    .bind(observed)
    .bind(&duplicate_of)
    .bind(d.status_only)
    .bind(d.fingerprint.map(|f| f as i64))
    .bind(&d.language)
    .execute(&mut *tx)
    .await
    .map_err(query_err("insert evidence"))?
    .rows_affected();
    Ok(inserted > 0)
}

/// Recomputes event `event_id` from its evidence (lifecycle status,
/// independent corroboration, noisy-or confidence), with `date`, and
/// records the new version in its history.
async fn recompute(
    tx: &mut PgConnection,
    event_id: i64,
    date: (Option<String>, String),
    d: &Detection,
    observed: f64,
) -> Result<Outcome, Error> {
    let (date, precision) = date;
    let reported: Vec<String> = sqlx::query_scalar(
        "SELECT status FROM evidence WHERE event_id = $1 ORDER BY observed_at, finding_id",
    )
    .bind(event_id)
    .fetch_all(&mut *tx)
    .await
    .map_err(query_err("read reported statuses"))?;
    let status = Status::lifecycle(reported.iter().filter_map(|s| Status::parse(s)));
    // independent reports only: a syndicated copy is evidence, not corroboration
    let row = sqlx::query(
        "WITH per_source AS (
           SELECT source_id, max(confidence) AS c FROM evidence
           WHERE event_id = $1 AND duplicate_of IS NULL AND NOT status_only GROUP BY source_id
         )
         UPDATE tge_events SET
           corroboration = greatest((SELECT count(*) FROM per_source), 1),
           confidence = coalesce(1 - (SELECT exp(sum(ln(1 - least(c, 0.999999)))) FROM per_source), $7),
           status = $6,
           event_date = $2, date_precision = $3,
           watchlist = watchlist OR $4,
           last_seen = greatest(last_seen, to_timestamp($5)),
           first_seen = least(first_seen, to_timestamp($5)),
           version = version + 1
         WHERE id = $1
         RETURNING version, status, confidence, corroboration, project, symbol, last_seen, event_date",
    )
    .bind(event_id)
    .bind(&date)
    .bind(&precision)
    .bind(d.watchlist)
    .bind(observed)
    .bind(status.name())
    .bind(d.confidence.clamp(0.0, 1.0))
    .fetch_one(&mut *tx)
    .await
    .map_err(query_err("recompute event"))?;
    let change = EventChange {
        event_id,
        version: row.get(0),
        created: row.get::<i32, _>(0) == 1,
        status: row.get(1),
        confidence: row.get(2),
        corroboration: row.get(3),
        project: row.get(4),
        symbol: row.get(5),
    };
    sqlx::query(
        "INSERT INTO event_history (event_id, version, status, confidence, corroboration, changed_at, event_date)
         VALUES ($1, $2, $3, $4, $5, now(), $6)",
    )
    .bind(event_id)
    .bind(change.version)
    .bind(&change.status)
    .bind(change.confidence)
    .bind(change.corroboration)
    .bind(row.get::<Option<String>, _>(7))
    .execute(&mut *tx)
    .await
    .map_err(query_err("record history"))?;
    Ok(Outcome::Event(change))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_normalized() {
        assert_eq!(project_key("  Nova   Labs "), "nova labs");
        assert_eq!(symbol_key(Some("$nova")), "NOVA");
        assert_eq!(symbol_key(None), "");
        assert!(precision_rank("day") > precision_rank("quarter"));
    }
}
