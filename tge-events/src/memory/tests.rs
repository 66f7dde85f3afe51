//! The journal of the in-memory backend (the behaviour suite in the e2e
//! binary covers the rest, on both backends).

use super::*;
use swarm_types::finding::Status;

fn report(id: &str, source: &str, symbol: Option<&str>) -> Record {
    Record::Report(Report {
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
fn a_journal_brings_events_back_and_remembers_their_evidence() -> Result<(), Error> {
    let path = std::env::temp_dir().join(format!("events-{:08x}.journal", rand::random::<u32>()));
    {
        let store = MemoryEvents::open(&path)?;
        store.apply_records(&[report("a", "s1", None), report("b", "s2", Some("NOVA"))])?;
        store.apply_records(&[report("a", "s1", None)])?;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(text.lines().count(), 2, "redeliveries are not journaled");
    assert!(text.starts_with("{\"type\":\"detection\""), "{text}");
    let reopened = MemoryEvents::open(&path)?;
    let events = reopened.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].corroboration, 2);
    assert_eq!(events[0].symbol.as_deref(), Some("NOVA"));
    let out = reopened.apply_records(&[report("a", "s1", None)])?;
    assert_eq!(out, [Applied::Unchanged], "replayed evidence is remembered");
    let _ = std::fs::remove_file(path);
    Ok(())
}

#[test]
fn a_torn_last_line_is_dropped() -> Result<(), Error> {
    let path = std::env::temp_dir().join(format!("events-{:08x}.journal", rand::random::<u32>()));
    {
        let store = MemoryEvents::open(&path)?;
        store.apply_records(&[report("a", "s1", None)])?;
    }
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push_str("{\"type\":\"detec");
    std::fs::write(&path, text).map_err(|e| Error::Journal {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    assert_eq!(MemoryEvents::open(&path)?.events().len(), 1);
    let _ = std::fs::remove_file(path);
    Ok(())
}
