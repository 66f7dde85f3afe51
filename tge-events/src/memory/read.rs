//! [`Reader`] over the in-memory events: the list rules of
//! [`crate::filter`] applied in Rust.

use std::collections::BTreeMap;

use super::{MemoryEvents, Stored};
use crate::error::Error;
use crate::filter::{Filter, select};
use crate::keys::project_key;
use crate::store::Reader;
use crate::view::{EventDetail, EventRow, EvidenceRow, HistoryRow, Listed, ProjectRow};

fn row(e: &Stored) -> EventRow {
    let s = &e.state;
    EventRow {
        id: s.id,
        project: s.project.clone(),
        symbol: s.symbol.clone(),
        status: s.status.name().into(),
        event_date: s.event_date.clone(),
        date_precision: s.date_precision.clone(),
        confidence: s.confidence,
        corroboration: s.corroboration,
        watchlist: s.watchlist,
        first_seen_us: s.first_seen_unix_ms * 1000,
        last_seen_us: s.last_seen_unix_ms * 1000,
        version: s.version,
        change_seq: e.seq,
    }
}

#[async_trait::async_trait]
impl Reader for MemoryEvents {
    async fn list(&self, filter: &Filter) -> Result<Vec<EventRow>, Error> {
        let state = self.lock();
        let listed = state.events.iter().map(|e| Listed {
            row: row(e),
            kinds: e
                .evidence
                .iter()
                .map(|(r, _)| r.source_kind.as_str())
                .collect(),
        });
        Ok(select(filter, listed).into_iter().map(|l| l.row).collect())
    }

    async fn detail(&self, id: i64) -> Result<Option<EventDetail>, Error> {
        let state = self.lock();
        let Some(e) = usize::try_from(id - 1)
            .ok()
            .and_then(|i| state.events.get(i))
        else {
            return Ok(None);
        };
        let mut evidence: Vec<EvidenceRow> = e
            .evidence
            .iter()
            .map(|(d, duplicate_of)| EvidenceRow {
                finding_id: d.id.clone(),
                document_id: d.document_id.clone(),
                document_title: state
                    .documents
                    .get(&d.document_id)
                    .map(|doc| doc.title.clone()),
                source_id: d.source_id.clone(),
                source_kind: d.source_kind.clone(),
                url: d.url.clone(),
                snippet: d.snippet.clone(),
                status: d.status.name().to_string(),
                confidence: d.confidence.clamp(0.0, 1.0),
                observed_us: d.observed_unix_ms * 1000,
                duplicate_of: duplicate_of.clone(),
                status_only: d.status_only,
                language: d.language.clone(),
            })
            .collect();
        evidence
            .sort_by(|a, b| (a.observed_us, &a.finding_id).cmp(&(b.observed_us, &b.finding_id)));
        let history = e
            .history
            .iter()
            .map(|h| HistoryRow {
                version: h.version,
                status: h.status.clone(),
                confidence: h.confidence,
                corroboration: h.corroboration,
                event_date: h.event_date.clone(),
                changed_us: h.changed_unix_ms * 1000,
            })
            .collect();
        Ok(Some(EventDetail {
            event: row(e),
            evidence,
            history,
        }))
    }

    async fn projects(&self, prefix: Option<&str>, limit: u32) -> Result<Vec<ProjectRow>, Error> {
        let state = self.lock();
        let mut by_key: BTreeMap<String, ProjectRow> = BTreeMap::new();
        for e in &state.events {
            let key = project_key(&e.state.project);
            if prefix.is_some_and(|p| !key.starts_with(p)) {
                continue;
            }
            let p = by_key.entry(key).or_insert_with(|| ProjectRow {
                project: e.state.project.clone(),
                events: 0,
                max_confidence: 0.0,
                last_seen_us: i64::MIN,
            });
            p.project = p.project.clone().min(e.state.project.clone());
            p.events += 1;
            p.max_confidence = p.max_confidence.max(e.state.confidence);
            p.last_seen_us = p.last_seen_us.max(e.state.last_seen_unix_ms * 1000);
        }
        let mut projects: Vec<ProjectRow> = by_key.into_values().collect();
        projects.sort_by(|a, b| {
            b.last_seen_us
                .cmp(&a.last_seen_us)
                .then(a.project.cmp(&b.project))
        });
        projects.truncate(limit as usize);
        Ok(projects)
    }

    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<EventRow>, Error> {
        let state = self.lock();
        let mut changed: Vec<EventRow> = state
            .events
            .iter()
            .filter(|e| e.seq > seq)
            .map(row)
            .collect();
        changed.sort_by_key(|e| e.change_seq);
        changed.truncate(limit as usize);
        Ok(changed)
    }

    async fn last_seq(&self) -> Result<i64, Error> {
        Ok(self.lock().seq)
    }
}
