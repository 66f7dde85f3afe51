//! The result of a run, as text for people and as JSON (`--json`).

use std::fmt::{self, Write as _};

use serde::Serialize;

use super::score::{Latency, Scores};

/// What a run served, processed and measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Path of the labelled JSONL the run served.
    pub labelled: String,
    /// Records read (after `--limit`).
    pub records: usize,
    /// Records labelled as TGE announcements.
    pub tge_records: usize,
    /// Records released on the feeds.
    pub released: usize,
    /// Records shown in at least one feed answer.
    pub served: usize,
    /// Documents the classifier finished or dead-lettered.
    pub processed: u64,
    /// Documents dead-lettered (the classifier failed on them every time).
    pub failed: u64,
    /// Requests the feeds answered.
    pub feed_requests: usize,
    /// Items released per second (all feeds together).
    pub rate: f64,
    /// Poll interval of every feed, in milliseconds.
    pub poll_ms: u64,
    /// Wall time of the run, in seconds.
    pub duration_secs: f64,
    /// Everything released and the pipeline quiet before the timeout.
    pub complete: bool,
    /// The figures, flattened into the JSON.
    #[serde(flatten)]
    pub scores: Scores,
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2} s"))
}

fn latency(l: &Latency) -> String {
    format!(
        "p50 {}  p95 {}  max {}  (n={})",
        secs(l.p50_secs),
        secs(l.p95_secs),
        secs(l.max_secs),
        l.n
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.scores;
        writeln!(
            f,
            "pipeline-eval  {} — {} records ({} tge, {} tge projects)",
            self.labelled, self.records, self.tge_records, s.tge_projects
        )?;
        writeln!(
            f,
            "served         {} of {} released at {} items/s, polls every {} ms, {:.1} s{}",
            self.served,
            self.released,
            self.rate,
            self.poll_ms,
            self.duration_secs,
            if self.complete {
                ""
            } else {
                " (TIMED OUT before the pipeline was quiet)"
            }
        )?;
        writeln!(
            f,
            "processed      {} documents ({} failed every attempt)",
            self.processed, self.failed
        )?;
        writeln!(
            f,
            "events         {} ({} correct, {} false)",
            s.events,
            s.correct_events,
            s.false_events.len()
        )?;
        writeln!(f, "precision      {}", num(s.precision))?;
        writeln!(
            f,
            "recall         {} ({} of {} projects)",
            num(s.recall),
            s.detected_projects,
            s.tge_projects
        )?;
        writeln!(f, "events/project {}", num(s.events_per_project))?;
        writeln!(
            f,
            "latency        first item of the project → event: {}",
            latency(&s.latency_from_first_item)
        )?;
        writeln!(
            f,
            "               evidence item → event:             {}",
            latency(&s.latency_from_evidence)
        )?;
        let mut channels = String::new();
        for (name, c) in &s.by_channel {
            let _ = write!(channels, "  {name} {}/{}", c.detected, c.tge_items);
        }
        writeln!(f, "tge items in a correct event, by feed:{channels}")?;
        if s.unknown_evidence > 0 {
            writeln!(
                f,
                "evidence from unknown URLs: {} (not counted)",
                s.unknown_evidence
            )?;
        }
        if !s.false_events.is_empty() {
            writeln!(f, "false events:")?;
            for e in &s.false_events {
                let evidence: Vec<String> = e
                    .evidence
                    .iter()
                    .map(|i| {
                        let label = match (&i.project, i.tge) {
                            (Some(p), true) => format!("tge {p}"),
                            _ => "not_tge".into(),
                        };
                        format!("{} ({label})", i.record)
                    })
                    .collect();
                writeln!(
                    f,
                    "  #{} {:?}{} {} {:.2} ← {}",
                    e.id,
                    e.project,
                    e.symbol
                        .as_deref()
                        .map(|s| format!(" ${s}"))
                        .unwrap_or_default(),
                    e.status,
                    e.confidence,
                    evidence.join(", ")
                )?;
            }
        }
        if !s.missed_projects.is_empty() {
            writeln!(f, "missed projects: {}", s.missed_projects.join(", "))?;
        }
        Ok(())
    }
}
