//! The figures of a run: event precision (an event is correct when its
//! project matches a labelled TGE project of an item it has evidence
//! from), project recall, events per detected project, the false events,
//! published → event latency, and item recall per channel.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use tge_api::model::EventDetail;

use super::feeds::Channel;
use super::labelled::Record;
use super::names::{as_ticker, normalise, tickers, written_as_ticker};

/// What was served and what came back.
pub struct Input<'a> {
    /// The labelled records, in serving order.
    pub records: &'a [Record],
    /// Channel each record was served on.
    pub channels: &'a [Channel],
    /// Release time (unix ms) of each record.
    pub released: &'a [Option<i64>],
    /// Document URL → record index.
    pub urls: &'a HashMap<String, usize>,
    /// Events read back from the API, with their evidence.
    pub events: &'a [EventDetail],
}

/// p50 / p95 / max of a set of durations, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Number of durations.
    pub n: usize,
    /// Median (`None` without durations).
    pub p50_secs: Option<f64>,
    /// 95th percentile (`None` without durations).
    pub p95_secs: Option<f64>,
    /// Largest (`None` without durations).
    pub max_secs: Option<f64>,
}

impl Latency {
    /// Nearest-rank percentiles of `secs`.
    pub fn of(mut secs: Vec<f64>) -> Self {
        secs.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let i = ((p * secs.len() as f64).ceil() as usize).clamp(1, secs.len());
            secs[i - 1]
        };
        if secs.is_empty() {
            return Self::default();
        }
        Self {
            n: secs.len(),
            p50_secs: Some(rank(0.50)),
            p95_secs: Some(rank(0.95)),
            max_secs: secs.last().copied(),
        }
    }
}

/// A record an event has evidence from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceItem {
    /// Id of the record.
    pub record: String,
    /// The record's label.
    pub tge: bool,
    /// The record's labelled project, if any.
    pub project: Option<String>,
    /// Channel the record was served on.
    pub channel: Channel,
}

/// An event that matches no labelled TGE project of its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FalseEvent {
    /// Event id in the API.
    pub id: i64,
    /// Project name the event was given.
    pub project: String,
    /// Token symbol the event was given, if any.
    pub symbol: Option<String>,
    /// Event status as the API reports it.
    pub status: String,
    /// Event confidence as the API reports it.
    pub confidence: f64,
    /// The served records the event has evidence from.
    pub evidence: Vec<EvidenceItem>,
}

/// TGE items of one channel and how many became evidence of a correct event.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChannelRecall {
    /// Released TGE records served on the channel.
    pub tge_items: usize,
    /// Of those, the ones that are evidence of a correct event.
    pub detected: usize,
}

/// The figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    /// Events read back.
    pub events: usize,
    /// Events whose project matches a labelled TGE project of their evidence.
    pub correct_events: usize,
    /// correct / events (`None` without events).
    pub precision: Option<f64>,
    /// Distinct labelled TGE projects among the released records.
    pub tge_projects: usize,
    /// Labelled TGE projects with at least one correct event.
    pub detected_projects: usize,
    /// detected / labelled projects.
    pub recall: Option<f64>,
    /// Mean correct events per detected project (above 1: split events).
    pub events_per_project: Option<f64>,
    /// First seen of the project's first correct event − release of the
    /// project's first TGE item.
    pub latency_from_first_item: Latency,
    /// First seen of each correct event − release of the earliest item it
    /// has evidence from.
    pub latency_from_evidence: Latency,
    /// Events that are not correct, with their evidence.
    pub false_events: Vec<FalseEvent>,
    /// Labelled TGE projects without a correct event.
    pub missed_projects: Vec<String>,
    /// Evidence URLs that are none of the served items.
    pub unknown_evidence: usize,
    /// TGE item recall per channel, keyed by channel name.
    pub by_channel: BTreeMap<String, ChannelRecall>,
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn canonical(url: &str) -> &str {
    let url = url.split('#').next().unwrap_or(url);
    url.trim_end_matches('/')
}

fn channel_name(c: Channel) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Scores a run.
pub fn score(input: &Input<'_>) -> Scores {
    let records = input.records;
    let released = |i: usize| input.released.get(i).copied().flatten();
    // labelled TGE projects (of released records) and their tickers
    let mut project_names: BTreeMap<String, String> = BTreeMap::new();
    let mut first_release: HashMap<String, i64> = HashMap::new();
    let item_tickers: Vec<BTreeSet<String>> = records
        .iter()
        .map(|r| match (&r.project, r.tge) {
            (Some(p), true) => tickers(p, &r.text),
            _ => BTreeSet::new(),
        })
        .collect();
    for (i, r) in records.iter().enumerate() {
        let (Some(project), true, Some(at)) = (&r.project, r.tge, released(i)) else {
            continue;
        };
        let key = normalise(project);
        if key.is_empty() {
            continue;
        }
        project_names.entry(key.clone()).or_insert(project.clone());
        let first = first_release.entry(key).or_insert(at);
        *first = (*first).min(at);
    }

    let mut unknown_evidence = 0;
    let mut correct_events = 0;
    let mut false_events = Vec::new();
    // project key → first seen (unix ms) of its earliest correct event, count
    let mut detected: BTreeMap<String, (i64, usize)> = BTreeMap::new();
    let mut from_evidence = Vec::new();
    let mut detected_items: BTreeSet<usize> = BTreeSet::new();
    for detail in input.events {
        let event = &detail.event;
        let first_seen_ms =
            tge_events::calendar::parse_instant(&event.first_seen).map(|us| us.div_euclid(1000));
        let items: BTreeSet<usize> = detail
            .evidence
            .iter()
            .filter_map(|e| {
                let found = input.urls.get(canonical(&e.url)).copied();
                if found.is_none() {
                    unknown_evidence += 1;
                }
                found
            })
            .collect();
        let event_key = normalise(&event.project);
        let event_tickers: BTreeSet<String> = event
            .symbol
            .iter()
            .filter_map(|s| as_ticker(s))
            .chain(
                Some(event.project.as_str())
                    .filter(|p| written_as_ticker(p))
                    .and_then(as_ticker),
            )
            .collect();
        let matching: Vec<usize> = items
            .iter()
            .copied()
            .filter(|&i| {
                let r = &records[i];
                let Some(project) = r.project.as_deref().filter(|_| r.tge) else {
                    return false;
                };
                let key = normalise(project);
                !key.is_empty()
                    && (key == event_key || !event_tickers.is_disjoint(&item_tickers[i]))
            })
            .collect();
        let Some(&first) = matching.first() else {
            false_events.push(FalseEvent {
                id: event.id,
                project: event.project.clone(),
                symbol: event.symbol.clone(),
                status: event.status.clone(),
                confidence: event.confidence,
                evidence: items
                    .iter()
                    .map(|&i| EvidenceItem {
                        record: records[i].id.clone(),
                        tge: records[i].tge,
                        project: records[i].project.clone(),
                        channel: input.channels[i],
                    })
                    .collect(),
            });
            continue;
        };
        correct_events += 1;
        let key = records[first]
            .project
            .as_deref()
            .map(normalise)
            .unwrap_or_default();
        detected_items.extend(matching.iter().copied().filter(|&i| {
            records[i].project.as_deref().map(normalise).as_deref() == Some(key.as_str())
        }));
        let seen = first_seen_ms.unwrap_or(i64::MAX);
        let entry = detected.entry(key).or_insert((seen, 0));
        entry.0 = entry.0.min(seen);
        entry.1 += 1;
        let evidence_release = matching.iter().filter_map(|&i| released(i)).min();
        if let (Some(seen), Some(at)) = (first_seen_ms, evidence_release) {
            from_evidence.push((seen - at) as f64 / 1000.0);
        }
    }
    let from_first_item: Vec<f64> = detected
        .iter()
        .filter(|(_, (seen, _))| *seen != i64::MAX)
        .filter_map(|(key, (seen, _))| {
            first_release
                .get(key)
                .map(|at| (*seen - *at) as f64 / 1000.0)
        })
        .collect();
    let counted = detected
        .keys()
        .filter(|k| project_names.contains_key(*k))
        .count();
    let mut by_channel: BTreeMap<String, ChannelRecall> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        if r.tge && released(i).is_some() {
            let c = by_channel
                .entry(channel_name(input.channels[i]))
                .or_default();
            c.tge_items += 1;
            c.detected += usize::from(detected_items.contains(&i));
        }
    }
    Scores {
        events: input.events.len(),
        correct_events,
        precision: ratio(correct_events, input.events.len()),
        tge_projects: project_names.len(),
        detected_projects: counted,
        recall: ratio(counted, project_names.len()),
        events_per_project: ratio(correct_events, detected.len()),
        latency_from_first_item: Latency::of(from_first_item),
        latency_from_evidence: Latency::of(from_evidence),
        false_events,
        missed_projects: project_names
            .iter()
            .filter(|(k, _)| !detected.contains_key(*k))
            .map(|(_, name)| name.clone())
            .collect(),
        unknown_evidence,
        by_channel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tge_api::model::{Event, Evidence};

    fn record(id: &str, text: &str, project: Option<&str>) -> Record {
        Record {
            id: id.into(),
            text: text.into(),
            tge: project.is_some(),
            project: project.map(str::to_string),
            source_kind: None,
        }
    }

    fn event(
        id: i64,
        project: &str,
        symbol: Option<&str>,
        seen: &str,
        urls: &[&str],
    ) -> EventDetail {
        let evidence = urls
            .iter()
            .map(|u| Evidence {
                finding_id: format!("f-{u}"),
                document_id: String::new(),
                document_title: None,
                source_id: "s".into(),
                source_kind: "rss".into(),
                url: (*u).into(),
                snippet: String::new(),
                status: "announced".into(),
                confidence: 0.9,
                observed_at: seen.into(),
                duplicate_of: None,
                status_only: false,
                language: None,
            })
            .collect();
        EventDetail {
            event: Event {
                id,
                project: project.into(),
                symbol: symbol.map(str::to_string),
                status: "announced".into(),
                event_date: None,
                date_precision: "unknown".into(),
                confidence: 0.9,
                corroboration: 1,
                watchlist: false,
                first_seen: seen.into(),
                last_seen: seen.into(),
                version: 1,
                change_seq: id,
                first_seen_us: 0,
                last_seen_us: 0,
            },
            evidence,
            history: Vec::new(),
        }
    }

    #[test]
    fn scores_precision_recall_splits_and_latency() {
        let records = [
            record("a", "Halvard Labs announces its TGE", Some("Halvard")),
            record("b", "Will list Veyra (VYR)", Some("Veyra")),
            record("c", "Veyra TGE on May 2", Some("Veyra")),
            record("d", "Orinth unlock", None),
            record("e", "Pellin TGE soon", Some("Pellin")),
        ];
        let channels = [
            Channel::Rss,
            Channel::Atom,
            Channel::X,
            Channel::Rss,
            Channel::JsonApi,
        ];
        // released at 0, 1, 2, 3, 4 s after 2027-01-15T08:00:00Z
        let t0 = 1_800_000_000_000_i64;
        let released: Vec<Option<i64>> = (0..5).map(|i| Some(t0 + i * 1000)).collect();
        let urls: HashMap<String, usize> =
            (0..5).map(|i| (format!("http://h/items/{i}"), i)).collect();
        let events = [
            // by name after normalisation, 0.5 s after its item
            event(
                1,
                "HALVARD LABS",
                None,
                "2027-01-15T08:00:00.500Z",
                &["http://h/items/0/"],
            ),
            // by ticker: the event is named after the ticker
            event(
                2,
                "VYR",
                Some("VYR"),
                "2027-01-15T08:00:03Z",
                &["http://h/items/1"],
            ),
            // a split: a second event for Veyra, from item c
            event(
                3,
                "Veyra",
                None,
                "2027-01-15T08:00:04Z",
                &["http://h/items/2"],
            ),
            // false: a not-TGE item
            event(
                4,
                "Orinth",
                None,
                "2027-01-15T08:00:05Z",
                &["http://h/items/3", "http://x/other"],
            ),
        ];
        let s = score(&Input {
            records: &records,
            channels: &channels,
            released: &released,
            urls: &urls,
            events: &events,
        });
        assert_eq!((s.events, s.correct_events), (4, 3));
        assert_eq!(s.precision, Some(0.75));
        assert_eq!((s.tge_projects, s.detected_projects), (3, 2));
        assert_eq!(s.missed_projects, ["Pellin"]);
        assert_eq!(s.events_per_project, Some(1.5));
        assert_eq!(s.false_events.len(), 1);
        assert_eq!(s.false_events[0].evidence[0].record, "d");
        assert_eq!(s.unknown_evidence, 1);
        // Halvard 0.5 s; Veyra: first event at 3 s, first item at 1 s → 2 s
        assert_eq!(s.latency_from_first_item.n, 2);
        assert_eq!(s.latency_from_first_item.max_secs, Some(2.0));
        assert_eq!(s.latency_from_first_item.p50_secs, Some(0.5));
        // per event from its own evidence: 0.5, 2.0, 2.0
        assert_eq!(s.latency_from_evidence.n, 3);
        assert_eq!(s.by_channel["x"].detected, 1);
        assert_eq!(
            s.by_channel["json_api"],
            ChannelRecall {
                tge_items: 1,
                detected: 0
            }
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let l = Latency::of((1..=20).map(f64::from).collect());
        assert_eq!(
            (l.p50_secs, l.p95_secs, l.max_secs),
            (Some(10.0), Some(19.0), Some(20.0))
        );
        assert_eq!(Latency::of(Vec::new()), Latency::default());
    }

    #[test]
    fn nothing_released_scores_nothing() {
        let s = score(&Input {
            records: &[],
            channels: &[],
            released: &[],
            urls: &HashMap::new(),
            events: &[],
        });
        assert_eq!(
            (s.precision, s.recall, s.events_per_project),
            (None, None, None)
        );
    }
}
