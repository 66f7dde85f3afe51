//! Events kept in process memory, for the embedded one-command run (no
//! PostgreSQL). Same rules as the PostgreSQL synthesis: evidence keyed by
//! finding id, one event per project (+ ticker), noisy-or confidence over
//! each source's best report, distinct-source corroboration, latest status,
//! most precise date, a version per change.

use std::collections::HashMap;
use std::sync::Mutex;

use super::detection::{project_key, symbol_key};
use super::{Error, EventChange, Outcome};
use crate::finding::{Detection, Finding};

#[derive(Debug, Clone)]
struct Event {
    id: i64,
    project: String,
    symbol: Option<String>,
    status: String,
    event_date: Option<String>,
    precision: String,
    version: i32,
    /// source -> best confidence
    sources: HashMap<String, f64>,
    latest_observed: i64,
    watchlist: bool,
    first_seen_ms: i64,
    last_seen_ms: i64,
    /// Global change sequence of the last change.
    seq: i64,
    evidence: Vec<Detection>,
    history: Vec<HistoryRecord>,
}

/// A stored document, as the query API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRecord {
    pub source_id: String,
    pub title: String,
    pub fetched_unix_ms: i64,
}

/// One version of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRecord {
    pub version: i32,
    pub status: String,
    pub confidence: f64,
    pub corroboration: i32,
    pub changed_unix_ms: i64,
}

/// Everything known about an event (for the query API of the embedded run).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub change: EventChange,
    pub event_date: Option<String>,
    pub date_precision: String,
    pub watchlist: bool,
    pub first_seen_unix_ms: i64,
    pub last_seen_unix_ms: i64,
    /// Global change sequence of its last change (grows with every change).
    pub seq: i64,
    pub evidence: Vec<Detection>,
    pub history: Vec<HistoryRecord>,
}

#[derive(Default)]
struct State {
    events: Vec<Event>,
    evidence: HashMap<String, i64>,
    documents: HashMap<String, DocumentRecord>,
    seq: i64,
}

/// In-memory event store.
#[derive(Default)]
pub struct MemoryEvents {
    state: Mutex<State>,
}

fn rank(p: &str) -> u8 {
    match p {
        "day" => 3,
        "month" => 2,
        "quarter" => 1,
        _ => 0,
    }
}

impl MemoryEvents {
    /// Events as (project, symbol, status, event date, confidence, corroboration).
    pub fn events(&self) -> Vec<EventChange> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.events.iter().map(change_of).collect()
    }

    /// Every event with its evidence and history.
    pub fn records(&self) -> Vec<EventRecord> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state
            .events
            .iter()
            .map(|e| EventRecord {
                change: change_of(e),
                event_date: e.event_date.clone(),
                date_precision: e.precision.clone(),
                watchlist: e.watchlist,
                first_seen_unix_ms: e.first_seen_ms,
                last_seen_unix_ms: e.last_seen_ms,
                seq: e.seq,
                evidence: e.evidence.clone(),
                history: e.history.clone(),
            })
            .collect()
    }

    /// Stored documents by id.
    pub fn documents(&self) -> HashMap<String, DocumentRecord> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.documents.clone()
    }

    /// Applies findings in order (never fails: nothing to lose in memory).
    pub fn apply_batch(&self, findings: &[Finding]) -> Result<Vec<Outcome>, Error> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        Ok(findings.iter().map(|f| apply(&mut state, f)).collect())
    }
}

fn change_of(e: &Event) -> EventChange {
    let confidence = 1.0
        - e.sources
            .values()
            .map(|c| 1.0 - c.min(0.999_999))
            .product::<f64>();
    EventChange {
        event_id: e.id,
        version: e.version,
        created: e.version == 1,
        project: e.project.clone(),
        symbol: e.symbol.clone(),
        status: e.status.clone(),
        confidence,
        corroboration: e.sources.len() as i32,
    }
}

fn apply(state: &mut State, finding: &Finding) -> Outcome {
    match finding {
        Finding::Document(d) => {
            if state.documents.contains_key(&d.id) {
                return Outcome::Unchanged;
            }
            let record = DocumentRecord {
                source_id: d.source_id.clone(),
                title: d.title.clone(),
                fetched_unix_ms: d.fetched_unix_ms,
            };
            state.documents.insert(d.id.clone(), record);
            Outcome::Stored
        }
        Finding::Candidate(_) => Outcome::Unchanged,
        Finding::Detection(d) => detection(state, d),
    }
}

fn detection(state: &mut State, d: &Detection) -> Outcome {
    if state.evidence.contains_key(&d.id) {
        return Outcome::Unchanged;
    }
    let (pkey, skey) = (project_key(&d.project), symbol_key(d.symbol.as_deref()));
    let key_of = |e: &Event| (project_key(&e.project), symbol_key(e.symbol.as_deref()));
    let has_exact = state
        .events
        .iter()
        .any(|e| key_of(e) == (pkey.clone(), skey.clone()));
    if !skey.is_empty()
        && !has_exact
        && let Some(e) = state
            .events
            .iter_mut()
            .find(|e| key_of(e) == (pkey.clone(), String::new()))
    {
        e.symbol = Some(skey.clone());
    }
    let index = if skey.is_empty() {
        state
            .events
            .iter()
            .rposition(|e| project_key(&e.project) == pkey)
    } else {
        state
            .events
            .iter()
            .position(|e| key_of(e) == (pkey.clone(), skey.clone()))
    };
    let index = index.unwrap_or_else(|| {
        let id = state.events.len() as i64 + 1;
        state.events.push(Event {
            id,
            project: d.project.trim().to_string(),
            symbol: (!skey.is_empty()).then(|| skey.clone()),
            status: d.status.name().into(),
            event_date: None,
            precision: "unknown".into(),
            version: 0,
            sources: HashMap::new(),
            latest_observed: i64::MIN,
            watchlist: false,
            first_seen_ms: d.observed_unix_ms,
            last_seen_ms: d.observed_unix_ms,
            seq: 0,
            evidence: Vec::new(),
            history: Vec::new(),
        });
        state.events.len() - 1
    });
    let event = &mut state.events[index];
    state.evidence.insert(d.id.clone(), event.id);
    let best = event.sources.entry(d.source_id.clone()).or_insert(0.0);
    *best = best.max(d.confidence.clamp(0.0, 1.0));
    if d.observed_unix_ms >= event.latest_observed {
        event.latest_observed = d.observed_unix_ms;
        event.status = d.status.name().into();
    }
    if d.event_date.is_some()
        && (event.event_date.is_none() || rank(&d.date_precision) >= rank(&event.precision))
    {
        event.event_date = d.event_date.clone();
        event.precision = d.date_precision.clone();
    }
    event.version += 1;
    event.watchlist |= d.watchlist;
    event.first_seen_ms = event.first_seen_ms.min(d.observed_unix_ms);
    event.last_seen_ms = event.last_seen_ms.max(d.observed_unix_ms);
    event.evidence.push(d.clone());
    state.seq += 1;
    event.seq = state.seq;
    let change = change_of(event);
    event.history.push(HistoryRecord {
        version: change.version,
        status: change.status.clone(),
        confidence: change.confidence,
        corroboration: change.corroboration,
        changed_unix_ms: swarm_common::time::now_ms(),
    });
    Outcome::Event(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;

    fn det(id: &str, source: &str, symbol: Option<&str>) -> Finding {
        Finding::Detection(Detection {
            id: id.into(),
            document_id: id.into(),
            source_id: source.into(),
            source_kind: "rss".into(),
            url: String::new(),
            project: "Nova".into(),
            symbol: symbol.map(str::to_string),
            status: Status::Scheduled,
            event_date: Some("2027-03-01".into()),
            date_precision: "day".into(),
            confidence: 0.5,
            snippet: String::new(),
            watchlist: false,
            observed_unix_ms: 1,
        })
    }

    #[test]
    fn merges_like_the_postgres_synthesis() {
        let store = MemoryEvents::default();
        let out = store
            .apply_batch(&[
                det("a", "s1", None),
                det("b", "s2", Some("NOVA")),
                det("c", "s3", None),
                det("c", "s3", None),
            ])
            .unwrap();
        assert_eq!(out[3], Outcome::Unchanged, "a redelivery changes nothing");
        let events = store.events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].symbol.as_deref(), Some("NOVA"));
        assert_eq!(events[0].corroboration, 3);
        assert_eq!(events[0].version, 3);
        assert!((events[0].confidence - 0.875).abs() < 1e-9);
        let records = store.records();
        assert_eq!(records[0].evidence.len(), 3);
        assert_eq!(records[0].history.len(), 3);
        assert_eq!(records[0].seq, 3, "one change sequence number per change");
    }
}
