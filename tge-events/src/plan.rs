//! A batch of reports applied to the loaded events of their projects —
//! pure: the backends load the events, run [`synthesize`] and persist the
//! [`Changes`].

use std::collections::HashMap;

use crate::change::Applied;
use crate::keys::project_key;
use crate::report::Report;
use crate::route::{Route, adopt, route};
use crate::state::EventState;

/// The events of each project key touched by a batch, as loaded.
pub type Loaded = HashMap<String, Vec<EventState>>;

/// A new evidence row.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvidence {
    /// The event the report is evidence of (provisional negative id if new).
    pub event_id: i64,
    /// The report, as received, but for its URL: empty unless an http(s)
    /// link ([`crate::link::evidence_url`]).
    pub report: Report,
    /// The near-duplicate decision of the synthesis.
    pub duplicate_of: Option<String>,
}

/// A new history row: the event after one change.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHistory {
    /// The event (provisional negative id if new).
    pub event_id: i64,
    /// The event's version after the change (1 when created).
    pub version: i32,
    /// Status name after the change.
    pub status: String,
    /// Confidence after the change (0..1).
    pub confidence: f64,
    /// Distinct independent sources after the change.
    pub corroboration: i32,
    /// Event date after the change, if known.
    pub event_date: Option<String>,
    /// When the batch was synthesized (unix ms).
    pub changed_unix_ms: i64,
}

/// What a batch changed. New events have provisional negative ids until
/// the backend assigns theirs ([`Changes::assign_ids`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Ids (provisional or stored) of changed events, first change first.
    pub changed: Vec<i64>,
    /// Evidence added, in batch order.
    pub evidence: Vec<NewEvidence>,
    /// One row per change, in batch order.
    pub history: Vec<NewHistory>,
}

impl Changes {
    /// Whether event `id` was created by this batch.
    pub fn is_new(id: i64) -> bool {
        id < 0
    }

    /// Replaces provisional ids by `assign(provisional)` in the changes, the
    /// outcomes and the loaded events.
    pub fn assign_ids(
        &mut self,
        outcomes: &mut [Applied],
        loaded: &mut Loaded,
        assign: impl Fn(i64) -> i64,
    ) {
        let fix = |id: &mut i64| {
            if Self::is_new(*id) {
                *id = assign(*id);
            }
        };
        self.changed.iter_mut().for_each(fix);
        self.evidence.iter_mut().for_each(|e| fix(&mut e.event_id));
        self.history.iter_mut().for_each(|h| fix(&mut h.event_id));
        for outcome in outcomes {
            if let Applied::Event(change) = outcome {
                fix(&mut change.event_id);
            }
        }
        for event in loaded.values_mut().flatten() {
            fix(&mut event.id);
        }
    }
}

/// Applies `reports` in order to `loaded` (which must hold every event of
/// each report's project); one outcome per report.
pub fn synthesize(
    loaded: &mut Loaded,
    reports: &[&Report],
    now_ms: i64,
) -> (Vec<Applied>, Changes) {
    let mut changes = Changes::default();
    let mut next_new = -1;
    let outcomes = reports
        .iter()
        .map(|report| {
            let events = loaded.entry(project_key(&report.project)).or_default();
            if events.iter().any(|e| e.has_evidence(&report.id)) {
                return Applied::Unchanged;
            }
            let index = match route(events, report) {
                Route::Drop => return Applied::Unchanged,
                Route::Join(i) => i,
                Route::Adopt(i) => {
                    adopt(&mut events[i], report);
                    i
                }
                Route::Create => {
                    events.push(EventState::new(next_new, report));
                    next_new -= 1;
                    events.len() - 1
                }
            };
            let event = &mut events[index];
            let Some(absorbed) = event.absorb(report) else {
                return Applied::Unchanged;
            };
            if !changes.changed.contains(&event.id) {
                changes.changed.push(event.id);
            }
            changes.evidence.push(NewEvidence {
                event_id: event.id,
                // a `javascript:` (or any non-web) URL is never kept as a link
                report: Report {
                    url: crate::link::evidence_url(&report.url),
                    ..(*report).clone()
                },
                duplicate_of: absorbed.duplicate_of,
            });
            changes.history.push(NewHistory {
                event_id: event.id,
                version: event.version,
                status: event.status.name().into(),
                confidence: event.confidence,
                corroboration: event.corroboration,
                event_date: event.event_date.clone(),
                changed_unix_ms: now_ms,
            });
            Applied::Event(absorbed.change)
        })
        .collect();
    (outcomes, changes)
}

/// The final state of every changed event, first change first.
pub fn changed_events<'a>(loaded: &'a Loaded, changes: &Changes) -> Vec<&'a EventState> {
    let by_id: HashMap<i64, &EventState> = loaded.values().flatten().map(|e| (e.id, e)).collect();
    changes
        .changed
        .iter()
        .filter_map(|id| by_id.get(id).copied())
        .collect()
}
