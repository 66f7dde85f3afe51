//! [`EventStore`] over the embedded run's in-process events
//! ([`MemoryEvents`]): the same filters, order and cursors as PostgreSQL,
//! computed in Rust.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use memory_coordinator::synth::{EventRecord, MemoryEvents};
use swarm_types::project_key;

use super::{Error, EventStore, SourceDocuments};
use crate::filter::{CursorKey, Filter, key_of};
use crate::model::{Event, EventDetail, Evidence, HistoryEntry, Project};
use crate::time::{self, rfc3339};

/// Events of the embedded run.
#[derive(Clone)]
pub struct MemoryStore {
    events: Arc<MemoryEvents>,
}

impl MemoryStore {
    /// Reads `events`.
    pub fn new(events: Arc<MemoryEvents>) -> Self {
        Self { events }
    }
}

fn event(r: &EventRecord) -> Event {
    let c = &r.change;
    Event {
        id: c.event_id,
        project: c.project.clone(),
        symbol: c.symbol.clone(),
        status: c.status.clone(),
        event_date: r.event_date.clone(),
        date_precision: r.date_precision.clone(),
        confidence: c.confidence,
        corroboration: c.corroboration,
        watchlist: r.watchlist,
        first_seen: rfc3339(r.first_seen_unix_ms * 1000),
        last_seen: rfc3339(r.last_seen_unix_ms * 1000),
        version: c.version,
        change_seq: r.seq,
        first_seen_us: r.first_seen_unix_ms * 1000,
        last_seen_us: r.last_seen_unix_ms * 1000,
    }
}

fn compare_keys(a: &CursorKey, b: &CursorKey) -> Ordering {
    match (a, b) {
        (CursorKey::Time(x), CursorKey::Time(y)) => x.cmp(y),
        (CursorKey::Confidence(x), CursorKey::Confidence(y)) => x.total_cmp(y),
        (CursorKey::Date(x), CursorKey::Date(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

fn matches(f: &Filter, r: &EventRecord, e: &Event) -> bool {
    let key = project_key(&e.project);
    let start = e.event_date.as_deref().and_then(time::event_start);
    f.project.as_ref().is_none_or(|p| *p == key)
        && f.project_prefix
            .as_ref()
            .is_none_or(|p| key.starts_with(p.as_str()))
        && f.symbol
            .as_ref()
            .is_none_or(|s| e.symbol.as_deref() == Some(s.as_str()))
        && (f.statuses.is_empty() || f.statuses.contains(&e.status))
        && f.date_from
            .as_ref()
            .is_none_or(|d| start.as_ref().is_some_and(|s| s >= d))
        && f.date_to
            .as_ref()
            .is_none_or(|d| start.as_ref().is_some_and(|s| s <= d))
        && f.since_us.is_none_or(|t| e.first_seen_us >= t)
        && f.until_us.is_none_or(|t| e.first_seen_us < t)
        && f.min_confidence.is_none_or(|c| e.confidence >= c)
        && f.source_kind
            .as_ref()
            .is_none_or(|k| r.evidence.iter().any(|v| v.source_kind == *k))
        && (!f.watchlist || e.watchlist)
}

#[async_trait::async_trait]
impl EventStore for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn list(&self, f: &Filter) -> Result<Vec<Event>, Error> {
        let order = |a: &Event, b: &Event| {
            let o = compare_keys(&key_of(a, f.sort), &key_of(b, f.sort)).then(a.id.cmp(&b.id));
            if f.descending { o.reverse() } else { o }
        };
        let mut events: Vec<Event> = self
            .events
            .records()
            .iter()
            .filter_map(|r| {
                let e = event(r);
                matches(f, r, &e).then_some(e)
            })
            .filter(|e| {
                f.after.as_ref().is_none_or(|(key, id)| {
                    let o = compare_keys(&key_of(e, f.sort), key).then(e.id.cmp(id));
                    if f.descending {
                        o == Ordering::Less
                    } else {
                        o == Ordering::Greater
                    }
                })
            })
            .collect();
        events.sort_by(order);
        events.truncate(f.limit as usize + 1);
        Ok(events)
    }

    async fn detail(&self, id: i64) -> Result<Option<EventDetail>, Error> {
        let Some(r) = self
            .events
            .records()
            .into_iter()
            .find(|r| r.change.event_id == id)
        else {
            return Ok(None);
        };
        let documents = self.events.documents();
        let mut evidence: Vec<Evidence> = r
            .evidence
            .iter()
            .map(|d| Evidence {
                finding_id: d.id.clone(),
                document_id: d.document_id.clone(),
                document_title: documents.get(&d.document_id).map(|doc| doc.title.clone()),
                source_id: d.source_id.clone(),
                source_kind: d.source_kind.clone(),
                url: d.url.clone(),
                snippet: d.snippet.clone(),
                status: d.status.name().to_string(),
                confidence: d.confidence,
                observed_at: rfc3339(d.observed_unix_ms * 1000),
                duplicate_of: d.duplicate_of.clone(),
                status_only: d.status_only,
                language: d.language.clone(),
            })
            .collect();
        evidence.sort_by(|a, b| a.observed_at.cmp(&b.observed_at));
        let history = r
            .history
            .iter()
            .map(|h| HistoryEntry {
                version: h.version,
                status: h.status.clone(),
                confidence: h.confidence,
                corroboration: h.corroboration,
                changed_at: rfc3339(h.changed_unix_ms * 1000),
            })
            .collect();
        Ok(Some(EventDetail {
            event: event(&r),
            evidence,
            history,
        }))
    }

    async fn projects(&self, prefix: Option<&str>, limit: u32) -> Result<Vec<Project>, Error> {
        let mut by_key: std::collections::BTreeMap<String, Project> = Default::default();
        let mut last: std::collections::HashMap<String, i64> = Default::default();
        for r in self.events.records() {
            let key = project_key(&r.change.project);
            if prefix.is_some_and(|p| !key.starts_with(p)) {
                continue;
            }
            let p = by_key.entry(key.clone()).or_insert_with(|| Project {
                project: r.change.project.clone(),
                events: 0,
                max_confidence: 0.0,
                last_seen: String::new(),
            });
            p.events += 1;
            p.max_confidence = p.max_confidence.max(r.change.confidence);
            let newest = last.entry(key).or_insert(i64::MIN);
            *newest = (*newest).max(r.last_seen_unix_ms);
            p.last_seen = rfc3339(*newest * 1000);
        }
        let mut projects: Vec<Project> = by_key.into_values().collect();
        projects.sort_by(|a, b| {
            b.last_seen
                .cmp(&a.last_seen)
                .then(a.project.cmp(&b.project))
        });
        projects.truncate(limit as usize);
        Ok(projects)
    }

    async fn source_documents(
        &self,
        source_ids: &[String],
    ) -> Result<HashMap<String, SourceDocuments>, Error> {
        let mut out: HashMap<String, SourceDocuments> = HashMap::new();
        for d in self.events.documents().values() {
            if !source_ids.contains(&d.source_id) {
                continue;
            }
            let entry = out.entry(d.source_id.clone()).or_default();
            entry.documents += 1;
            let fetched_us = d.fetched_unix_ms * 1000;
            entry.last_fetched_us = entry.last_fetched_us.max(Some(fetched_us));
        }
        Ok(out)
    }

    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<Event>, Error> {
        let mut changed: Vec<Event> = self
            .events
            .records()
            .iter()
            .filter(|r| r.seq > seq)
            .map(event)
            .collect();
        changed.sort_by_key(|e| e.change_seq);
        changed.truncate(limit as usize);
        Ok(changed)
    }

    async fn last_seq(&self) -> Result<i64, Error> {
        Ok(self
            .events
            .records()
            .iter()
            .map(|r| r.seq)
            .max()
            .unwrap_or(0))
    }

    async fn ping(&self) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use swarm_types::Finding;
    use swarm_types::finding::{Detection, Status};

    use super::*;

    fn detection(id: &str, project: &str, kind: &str, confidence: f64, at: i64) -> Finding {
        Finding::Detection(Detection {
            id: id.into(),
            document_id: format!("doc-{id}"),
            source_id: format!("src-{id}"),
            source_kind: kind.into(),
            url: String::new(),
            project: project.into(),
            symbol: None,
            status: Status::Announced,
            event_date: Some("2027-Q2".into()),
            date_precision: "quarter".into(),
            confidence,
            snippet: String::new(),
            watchlist: false,
            observed_unix_ms: at,
            fingerprint: None,
            duplicate_of: None,
            status_only: false,
            language: Some("en".into()),
        })
    }

    fn store() -> MemoryStore {
        let events = Arc::new(MemoryEvents::default());
        let findings: Vec<Finding> = (0..10)
            .map(|i| {
                let kind = if i % 2 == 0 { "rss" } else { "exchange" };
                detection(
                    &i.to_string(),
                    &format!("Proj {i}"),
                    kind,
                    i as f64 / 10.0,
                    1_000 * i,
                )
            })
            .collect();
        events.apply_batch(&findings).unwrap();
        MemoryStore::new(events)
    }

    fn filter(pairs: &[(&str, &str)]) -> Filter {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Filter::parse(&pairs).unwrap()
    }

    #[tokio::test]
    async fn filters_sort_and_pages_like_postgres() {
        let store = store();
        let names = |events: &[Event]| events.iter().map(|e| e.project.clone()).collect::<Vec<_>>();
        let hot = store
            .list(&filter(&[
                ("min_confidence", "0.7"),
                ("source_kind", "exchange"),
            ]))
            .await
            .unwrap();
        assert_eq!(names(&hot), ["Proj 9", "Proj 7"], "newest first");
        let q2 = store
            .list(&filter(&[
                ("date_from", "2027-04-01"),
                ("date_to", "2027-04-01"),
            ]))
            .await
            .unwrap();
        assert_eq!(q2.len(), 10, "a quarter starts on its first day");
        // pages of 3 by ascending confidence cover everything once
        let mut seen = Vec::new();
        let mut cursor = None::<String>;
        loop {
            let mut pairs = vec![("sort", "confidence"), ("limit", "3")];
            if let Some(c) = &cursor {
                pairs.push(("cursor", c.as_str()));
            }
            let f = filter(&pairs);
            let mut page = store.list(&f).await.unwrap();
            let more = page.len() > 3;
            page.truncate(3);
            seen.extend(names(&page));
            if !more {
                break;
            }
            let last = page.last().unwrap();
            cursor = Some(f.cursor(&key_of(last, f.sort), last.id));
        }
        let expected: Vec<String> = (0..10).map(|i| format!("Proj {i}")).collect();
        assert_eq!(seen, expected);
        let changes = store.changes_since(8, 100).await.unwrap();
        assert_eq!(names(&changes), ["Proj 8", "Proj 9"]);
    }

    #[tokio::test]
    async fn evidence_shows_the_document_language() {
        let events = Arc::new(MemoryEvents::default());
        let mut unknown = detection("b", "Proj", "rss", 0.8, 2_000);
        if let Finding::Detection(d) = &mut unknown {
            d.language = None;
        }
        events
            .apply_batch(&[detection("a", "Proj", "rss", 0.9, 1_000), unknown])
            .unwrap();
        let store = MemoryStore::new(events);
        let id = store.list(&filter(&[])).await.unwrap()[0].id;
        let detail = store.detail(id).await.unwrap().unwrap();
        let languages: Vec<Option<&str>> = detail
            .evidence
            .iter()
            .map(|v| v.language.as_deref())
            .collect();
        assert_eq!(languages, [Some("en"), None]);
        let json = serde_json::to_value(&detail).unwrap();
        assert_eq!(json["evidence"][0]["language"], "en");
        assert!(json["evidence"][1]["language"].is_null());
    }
}
