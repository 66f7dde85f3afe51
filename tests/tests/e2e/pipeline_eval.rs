//! The live-feed harness (`pipeline-eval`) on a small fixture written for
//! this project (`tests/corpus/pipeline_eval.jsonl`: invented projects,
//! exchange listings, announcements, posts, hard negatives): every item is
//! served on its feed and processed by the one-process swarm, and the
//! harness measures sensible figures from the events the API reports.

use std::path::PathBuf;
use std::time::Duration;

use swarm_tests::pipeline_eval::{self, Options};

#[tokio::test]
async fn the_harness_measures_the_pipeline_on_live_feeds() -> anyhow::Result<()> {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/pipeline_eval.jsonl");
    let options = Options {
        rate: 5.0,
        timeout: Duration::from_secs(50),
        ..Options::new(fixture)
    };
    let report = pipeline_eval::run(&options).await?;
    eprintln!("{report}");
    assert!(report.complete, "the pipeline never went quiet:\n{report}");
    assert_eq!(report.records, 20);
    assert_eq!(report.served, 20, "every item shown on its feed:\n{report}");
    assert_eq!(
        report.processed, 20,
        "every item reached the classifier:\n{report}"
    );
    let s = &report.scores;
    assert_eq!(s.tge_projects, 9);
    assert!(
        s.precision.is_some_and(|p| p >= 0.8),
        "precision:\n{report}"
    );
    assert!(s.recall.is_some_and(|r| r >= 0.7), "recall:\n{report}");
    assert!(
        s.events_per_project
            .is_some_and(|e| (1.0..1.5).contains(&e)),
        "two reports of one project merge into one event:\n{report}"
    );
    // every feed kind brought in at least one detected TGE item
    for channel in ["rss", "atom", "json_feed", "json_api", "x"] {
        assert!(
            s.by_channel.get(channel).is_some_and(|c| c.detected >= 1),
            "{channel}:\n{report}"
        );
    }
    let latency = &s.latency_from_first_item;
    assert!(latency.n >= 7, "a latency per detected project:\n{report}");
    let (p50, max) = (
        latency.p50_secs.unwrap_or(f64::MAX),
        latency.max_secs.unwrap_or(f64::MAX),
    );
    assert!(
        p50 > 0.0 && p50 <= max && max < 20.0,
        "published → event within a few polls:\n{report}"
    );
    assert_eq!(s.unknown_evidence, 0, "{report}");
    Ok(())
}
