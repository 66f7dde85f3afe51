//! Events kept in process memory, for the embedded one-command run (no
//! PostgreSQL). Same rules as the PostgreSQL synthesis: evidence keyed by
//! finding id, one event per project (+ ticker), noisy-or confidence over
//! each source's best independent report, distinct-source corroboration
//! (near-duplicate copies excluded), the lifecycle status,
//! most precise date, a version per change.

use std::collections::HashMap;
use std::sync::Mutex;

use super::detection::{project_key, symbol_key};
use super::{Error, EventChange, Outcome};
use crate::finding::{Detection, Finding, Status};

#[derive(Debug, Clone)]
struct Event {
    id: i64,
    project: String,
    symbol: Option<String>,
    status: String,
    event_date: Option<String>,
    precision: String,
    version: i32,
    /// source -> best confidence (independent reports only)
    sources: HashMap<String, f64>,
    /// (observed, finding id, status) of every report
    reports: Vec<(i64, String, Status)>,
    /// (source, fingerprint) of every report with one
    fingerprints: Vec<(String, u64)>,
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

/// In-memory event store, optionally journaled: every detection applied is
/// appended to a JSON-lines file (synced) first and replayed at open —
/// synthesis is deterministic, so replaying the reports rebuilds the events.
#[derive(Default)]
pub struct MemoryEvents {
    state: Mutex<State>,
    journal: Option<Mutex<Journal>>,
}

struct Journal {
    path: std::path::PathBuf,
    file: std::fs::File,
}

impl Journal {
    fn error(&self, e: impl std::fmt::Display) -> Error {
        Error::Journal {
            path: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    /// Appends the detections of `findings` and syncs.
    fn record(&mut self, findings: &[Finding]) -> Result<(), Error> {
        use std::io::Write;
        let mut text = String::new();
        for f in findings {
            text.push_str(&serde_json::to_string(f).map_err(|e| self.error(e))?);
            text.push('\n');
        }
        if text.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| self.error(e))
    }
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

    /// Events journaled at `path`: replays what is there (a torn last line
    /// from a crash is dropped), then appends.
    ///
    /// # Errors
    ///
    /// The file cannot be read or written, or a line other than the last
    /// is not a finding.
    pub fn open(path: &std::path::Path) -> Result<Self, Error> {
        let error = |e: &dyn std::fmt::Display| Error::Journal {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| error(&e))?;
        }
        let mut state = State::default();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
                for (i, line) in lines.iter().enumerate() {
                    match serde_json::from_str::<Finding>(line) {
                        Ok(finding) => {
                            apply(&mut state, &finding);
                        }
                        Err(_) if i + 1 == lines.len() => {
                            tracing::warn!(path = %path.display(), "dropping a torn last journal line");
                        }
                        Err(e) => return Err(error(&format!("line {}: {e}", i + 1))),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(error(&e)),
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| error(&e))?;
        Ok(Self {
            state: Mutex::new(state),
            journal: Some(Mutex::new(Journal {
                path: path.to_path_buf(),
                file,
            })),
        })
    }

    /// Applies findings in order; journaled first when there is a journal.
    ///
    /// # Errors
    ///
    /// The journal cannot be written (nothing is applied).
    pub fn apply_batch(&self, findings: &[Finding]) -> Result<Vec<Outcome>, Error> {
        // one lock for journal and state: the journal's order is the order
        // of application, so a replay gives every event the same id
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(journal) = &self.journal {
            let new: Vec<Finding> = findings
                .iter()
                .filter(|f| match f {
                    Finding::Detection(d) => !state.evidence.contains_key(&d.id),
                    _ => false,
                })
                .cloned()
                .collect();
            journal
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .record(&new)?;
        }
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
        Finding::Candidate(_) | Finding::HotSpots(_) => Outcome::Unchanged,
        Finding::Detection(d) => detection(state, d),
    }
}

fn detection(state: &mut State, d: &Detection) -> Outcome {
    if state.evidence.contains_key(&d.id) {
        return Outcome::Unchanged;
    }
    let (pkey, skey) = (project_key(&d.project), symbol_key(d.symbol.as_deref()));
    if d.status_only {
        // a postponement or cancellation changes an existing event only
        let Some(index) = state
            .events
            .iter()
            .rposition(|e| project_key(&e.project) == pkey)
        else {
            return Outcome::Unchanged;
        };
        let event = &mut state.events[index];
        state.evidence.insert(d.id.clone(), event.id);
        record_status(event, d);
        event.version += 1;
        return Outcome::Event(changed(event, &mut state.seq, d));
    }
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
            reports: Vec::new(),
            fingerprints: Vec::new(),
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
    let duplicate_of = d.duplicate_of.clone().or_else(|| {
        crate::finding::duplicate_source(
            d,
            event.fingerprints.iter().map(|(s, f)| (s.as_str(), *f)),
        )
    });
    if let Some(f) = d.fingerprint {
        event.fingerprints.push((d.source_id.clone(), f));
    }
    if duplicate_of.is_none() || event.sources.is_empty() {
        let best = event.sources.entry(d.source_id.clone()).or_insert(0.0);
        *best = best.max(d.confidence.clamp(0.0, 1.0));
    }
    record_status(event, d);
    if d.event_date.is_some()
        && (event.event_date.is_none() || rank(&d.date_precision) >= rank(&event.precision))
    {
        event.event_date = d.event_date.clone();
        event.precision = d.date_precision.clone();
    }
    event.version += 1;
    // the evidence shows the copy as a copy
    let shown = Detection {
        duplicate_of,
        ..d.clone()
    };
    Outcome::Event(changed(event, &mut state.seq, &shown))
}

/// Records what the query API shows of a change (evidence, seen times,
/// change sequence, history) and returns the change.
fn changed(event: &mut Event, seq: &mut i64, d: &Detection) -> EventChange {
    event.watchlist |= d.watchlist;
    event.first_seen_ms = event.first_seen_ms.min(d.observed_unix_ms);
    event.last_seen_ms = event.last_seen_ms.max(d.observed_unix_ms);
    event.evidence.push(d.clone());
    *seq += 1;
    event.seq = *seq;
    let change = change_of(event);
    event.history.push(HistoryRecord {
        version: change.version,
        status: change.status.clone(),
        confidence: change.confidence,
        corroboration: change.corroboration,
        changed_unix_ms: swarm_common::time::now_ms(),
    });
    change
}

/// Adds the report's status and recomputes the lifecycle.
fn record_status(event: &mut Event, d: &Detection) {
    event
        .reports
        .push((d.observed_unix_ms, d.id.clone(), d.status));
    event.reports.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    event.status = Status::lifecycle(event.reports.iter().map(|r| r.2))
        .name()
        .into();
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
            fingerprint: None,
            duplicate_of: None,
            status_only: false,
            language: None,
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

    #[test]
    fn near_duplicate_fingerprints_of_other_sources_are_copies() {
        let store = MemoryEvents::default();
        let with_fp = |f: Finding, fp: u64| match f {
            Finding::Detection(mut d) => {
                d.fingerprint = Some(fp);
                Finding::Detection(d)
            }
            other => other,
        };
        store
            .apply_batch(&[
                with_fp(det("a", "s1", None), 0xFFFF_0000_FFFF_0000),
                with_fp(det("b", "s2", None), 0xFFFF_0000_FFFF_00FF), // 8 bits apart
                with_fp(det("c", "s3", None), 0x0000_FFFF_0000_FFFF), // far
                with_fp(det("d", "s1", None), 0xFFFF_0000_FFFF_0001), // same source
            ])
            .unwrap();
        let events = store.events();
        assert_eq!(
            events[0].corroboration, 2,
            "s2 copies s1; s3 is independent"
        );
    }

    #[test]
    fn a_journal_brings_events_back() {
        let path = std::env::temp_dir().join(format!("events-{}.journal", rand::random::<u32>()));
        {
            let store = MemoryEvents::open(&path).unwrap();
            store
                .apply_batch(&[det("a", "s1", None), det("b", "s2", Some("NOVA"))])
                .unwrap();
        }
        let reopened = MemoryEvents::open(&path).unwrap();
        let events = reopened.events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].corroboration, 2);
        assert_eq!(events[0].symbol.as_deref(), Some("NOVA"));
        let out = reopened.apply_batch(&[det("a", "s1", None)]).unwrap();
        assert_eq!(
            out[0],
            Outcome::Unchanged,
            "replayed evidence is remembered"
        );
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn copies_do_not_corroborate_and_status_follows_the_lifecycle() {
        let store = MemoryEvents::default();
        let with = |f: Finding, status: Status, observed: i64, dup: Option<&str>| match f {
            Finding::Detection(mut d) => {
                d.status = status;
                d.observed_unix_ms = observed;
                d.duplicate_of = dup.map(str::to_string);
                Finding::Detection(d)
            }
            other => other,
        };
        store
            .apply_batch(&[
                with(det("a", "s1", None), Status::Live, 10, None),
                with(det("b", "s2", None), Status::Scheduled, 20, Some("s1")),
            ])
            .unwrap();
        let events = store.events();
        assert_eq!(
            events[0].corroboration, 1,
            "a syndicated copy is not a second source"
        );
        assert!((events[0].confidence - 0.5).abs() < 1e-9);
        assert_eq!(
            events[0].status, "live",
            "a late copy does not move it back"
        );
        store
            .apply_batch(&[with(det("c", "s3", None), Status::Postponed, 30, None)])
            .unwrap();
        let events = store.events();
        assert_eq!(events[0].status, "postponed");
        assert_eq!(events[0].corroboration, 2);
        let status_only = |f: Finding, project: &str| match f {
            Finding::Detection(mut d) => {
                d.status = Status::Cancelled;
                d.observed_unix_ms = 40;
                d.status_only = true;
                d.project = project.into();
                Finding::Detection(d)
            }
            other => other,
        };
        let out = store
            .apply_batch(&[
                status_only(det("d", "s4", None), "Nova"),
                status_only(det("e", "s4", None), "Elsewhere"),
            ])
            .unwrap();
        assert_eq!(
            out[1],
            Outcome::Unchanged,
            "a cancellation creates no event"
        );
        let events = store.events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].status, "cancelled");
        assert_eq!(
            events[0].corroboration, 2,
            "a status report is not corroboration"
        );
    }
}
