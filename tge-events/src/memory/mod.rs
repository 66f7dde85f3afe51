//! Events kept in process memory for the embedded one-command run (no
//! PostgreSQL), optionally journaled. Only loads and persists: the
//! synthesis is [`crate::plan::synthesize`], the list rules are
//! [`crate::filter`].

mod journal;
mod read;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::change::{Applied, EventChange};
use crate::error::Error;
use crate::keys::project_key;
use crate::plan::{Changes, Loaded, NewHistory, changed_events, synthesize};
use crate::report::{Record, Report};
use crate::state::EventState;
use journal::Journal;

/// A stored document, as the query API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRecord {
    /// Id of the configured source the document was fetched from.
    pub source_id: String,
    /// Title, cleaned (empty when the source gave none).
    pub title: String,
    /// When the scraper fetched the document (unix ms).
    pub fetched_unix_ms: i64,
}

/// One event with what the readers show of it.
#[derive(Debug, Clone)]
struct Stored {
    state: EventState,
    /// (report, near-duplicate decision), in the order absorbed
    evidence: Vec<(Report, Option<String>)>,
    history: Vec<NewHistory>,
    /// Global change sequence of its last change.
    seq: i64,
}

#[derive(Default)]
struct State {
    /// Event `id` at index `id - 1`.
    events: Vec<Stored>,
    /// Project key -> indexes into `events`.
    by_project: HashMap<String, Vec<usize>>,
    documents: HashMap<String, DocumentRecord>,
    seq: i64,
}

/// In-memory event store, optionally journaled.
#[derive(Default)]
pub struct MemoryEvents {
    state: Mutex<State>,
    journal: Option<Mutex<Journal>>,
}

impl MemoryEvents {
    /// Events journaled at `path`: replays what is there, then appends.
    ///
    /// # Errors
    ///
    /// The file cannot be read or written, or a line other than the last
    /// is not a report.
    pub fn open(path: &std::path::Path) -> Result<Self, Error> {
        let (journal, reports) = Journal::open(path)?;
        let mut state = State::default();
        let refs: Vec<&Report> = reports.iter().collect();
        state.apply_reports(&refs, swarm_common::time::now_ms());
        Ok(Self {
            state: Mutex::new(state),
            journal: Some(Mutex::new(journal)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The change notice of every event, by id.
    pub fn events(&self) -> Vec<EventChange> {
        self.lock()
            .events
            .iter()
            .map(|e| e.state.change())
            .collect()
    }

    /// Stored documents by id.
    pub fn documents(&self) -> HashMap<String, DocumentRecord> {
        self.lock().documents.clone()
    }

    /// Applies records in order; the reports that change events are
    /// journaled first when there is a journal.
    ///
    /// # Errors
    ///
    /// The journal cannot be written (nothing is applied).
    pub fn apply_records(&self, records: &[Record]) -> Result<Vec<Applied>, Error> {
        // one lock for journal and state: the journal's order is the order
        // of application, so a replay gives every event the same id
        let mut state = self.lock();
        let reports: Vec<&Report> = records
            .iter()
            .filter_map(|r| match r {
                Record::Report(report) => Some(report),
                _ => None,
            })
            .collect();
        let now = swarm_common::time::now_ms();
        let (mut loaded, mut outcomes, changes) = state.plan(&reports, now);
        if let Some(journal) = &self.journal {
            journal
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .record(changes.evidence.iter().map(|e| &e.report))?;
        }
        state.persist(&mut loaded, &mut outcomes, changes);
        let mut reported = outcomes.into_iter();
        Ok(records
            .iter()
            .map(|r| match r {
                Record::Report(_) => reported.next().unwrap_or(Applied::Unchanged),
                Record::Document(d) => state.store_document(d),
                Record::Candidate(_) | Record::HotSpots(_) => Applied::Unchanged,
            })
            .collect())
    }
}

impl State {
    /// Every event of each project of `reports`, and the model's changes.
    fn plan(&self, reports: &[&Report], now_ms: i64) -> (Loaded, Vec<Applied>, Changes) {
        let mut loaded = Loaded::new();
        for report in reports {
            let key = project_key(&report.project);
            if loaded.contains_key(&key) {
                continue;
            }
            let events = self
                .by_project
                .get(&key)
                .map(|ix| ix.iter().map(|&i| self.events[i].state.clone()).collect())
                .unwrap_or_default();
            loaded.insert(key, events);
        }
        let (outcomes, changes) = synthesize(&mut loaded, reports, now_ms);
        (loaded, outcomes, changes)
    }

    /// Stores the changes: new events get the next ids, in creation order.
    fn persist(&mut self, loaded: &mut Loaded, outcomes: &mut [Applied], mut changes: Changes) {
        let base = self.events.len() as i64;
        changes.assign_ids(outcomes, loaded, |provisional| base - provisional);
        let mut finals: Vec<EventState> = changed_events(loaded, &changes)
            .into_iter()
            .cloned()
            .collect();
        finals.sort_by_key(|e| e.id);
        for state in finals {
            let index = (state.id - 1) as usize;
            if index >= self.events.len() {
                self.by_project
                    .entry(project_key(&state.project))
                    .or_default()
                    .push(index);
                self.events.push(Stored {
                    state,
                    evidence: Vec::new(),
                    history: Vec::new(),
                    seq: 0,
                });
            } else {
                self.events[index].state = state;
            }
        }
        for id in &changes.changed {
            self.seq += 1;
            self.events[(*id - 1) as usize].seq = self.seq;
        }
        for e in &changes.evidence {
            self.events[(e.event_id - 1) as usize]
                .evidence
                .push((e.report.clone(), e.duplicate_of.clone()));
        }
        for h in &changes.history {
            self.events[(h.event_id - 1) as usize]
                .history
                .push(h.clone());
        }
    }

    fn apply_reports(&mut self, reports: &[&Report], now_ms: i64) {
        let (mut loaded, mut outcomes, changes) = self.plan(reports, now_ms);
        self.persist(&mut loaded, &mut outcomes, changes);
    }

    fn store_document(&mut self, d: &crate::report::Document) -> Applied {
        if self.documents.contains_key(&d.id) {
            return Applied::Unchanged;
        }
        let record = DocumentRecord {
            source_id: d.source_id.clone(),
            title: d.title.clone(),
            fetched_unix_ms: d.fetched_unix_ms,
        };
        self.documents.insert(d.id.clone(), record);
        Applied::Stored
    }
}

#[async_trait::async_trait]
impl crate::store::Synthesis for MemoryEvents {
    async fn apply_batch(&self, records: &[Record]) -> Result<Vec<Applied>, Error> {
        self.apply_records(records)
    }
}

#[cfg(test)]
mod tests;
