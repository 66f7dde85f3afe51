//! Loading for the synthesis: the projects' advisory locks (one writer per
//! project across lanes and replicas), then every event of the projects
//! `FOR UPDATE` with the evidence the model needs.

use std::collections::HashMap;

use sqlx::{PgConnection, Row};

use super::ms_of;
use crate::error::{Error, query_err};
use crate::plan::Loaded;
use crate::state::{EventState, Proof};
use swarm_types::finding::Status;

/// Takes the advisory lock of every project key, in `keys` order (sorted:
/// two batches never wait on each other in a cycle).
pub(super) async fn lock(tx: &mut PgConnection, keys: &[String]) -> Result<(), Error> {
    sqlx::query(
        "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))
         FROM unnest($1::text[]) AS t(k)",
    )
    .bind(keys)
    .execute(&mut *tx)
    .await
    .map_err(query_err("lock projects"))?;
    Ok(())
}

fn status(name: &str) -> Result<Status, Error> {
    Status::parse(name).ok_or_else(|| Error::Decode {
        what: "status",
        detail: format!("unknown status `{name}`"),
    })
}

/// Every event of `keys` with its evidence.
pub(super) async fn events(tx: &mut PgConnection, keys: &[String]) -> Result<Loaded, Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, project_key, project, symbol, status, event_date, date_precision,
            confidence, corroboration, watchlist, {}, {}, version
         FROM tge_events WHERE project_key = ANY($1) ORDER BY id FOR UPDATE",
        ms_of("first_seen"),
        ms_of("last_seen")
    )))
    .bind(keys)
    .fetch_all(&mut *tx)
    .await
    .map_err(query_err("load events"))?;
    let mut loaded: Loaded = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    let mut at: HashMap<i64, (String, usize)> = HashMap::new();
    for row in &rows {
        let key: String = row.get(1);
        let events = loaded.entry(key.clone()).or_default();
        let id: i64 = row.get(0);
        at.insert(id, (key, events.len()));
        events.push(EventState {
            id,
            project: row.get(2),
            symbol: row.get(3),
            status: status(row.get(4))?,
            event_date: row.get(5),
            date_precision: row.get(6),
            confidence: row.get(7),
            corroboration: row.get(8),
            watchlist: row.get(9),
            first_seen_unix_ms: row.get(10),
            last_seen_unix_ms: row.get(11),
            version: row.get(12),
            proofs: Vec::new(),
        });
    }
    if at.is_empty() {
        return Ok(loaded);
    }
    let ids: Vec<i64> = at.keys().copied().collect();
    let proofs = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT event_id, finding_id, source_id, {}, status, confidence, fingerprint,
            duplicate_of, status_only
         FROM evidence WHERE event_id = ANY($1)",
        ms_of("observed_at")
    )))
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await
    .map_err(query_err("load evidence"))?;
    for row in &proofs {
        let Some((key, index)) = at.get(&row.get::<i64, _>(0)) else {
            continue;
        };
        let Some(event) = loaded.get_mut(key).and_then(|e| e.get_mut(*index)) else {
            continue;
        };
        event.proofs.push(Proof {
            finding_id: row.get(1),
            source_id: row.get(2),
            observed_unix_ms: row.get(3),
            status: status(row.get(4))?,
            confidence: row.get(5),
            fingerprint: row.get::<Option<i64>, _>(6).map(|f| f as u64),
            duplicate_of: row.get(7),
            status_only: row.get(8),
        });
    }
    for event in loaded.values_mut().flatten() {
        event.proofs.sort_by(|a, b| {
            (a.observed_unix_ms, &a.finding_id).cmp(&(b.observed_unix_ms, &b.finding_id))
        });
    }
    Ok(loaded)
}
