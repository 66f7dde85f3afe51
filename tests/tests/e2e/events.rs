//! One behaviour suite for the event store, run on every backend: the
//! PostgreSQL one (a fresh database per test) and the in-memory one. The
//! same cases, the same expectations: synthesis (create, corroborate,
//! idempotent redelivery, ticker adoption, status-only reports, date
//! precision, near-duplicates) and listing (each filter, every sort order,
//! cursor paging, projects, changes since a sequence number).

use std::future::Future;

use tge_events::filter::{Filter, key_of};
use tge_events::{
    Applied, Document, MemoryEvents, PgEvents, Reader, Record, Report, Status, Synthesis,
};

use swarm_tests::TestDb;

/// A backend under test.
trait Backend: Synthesis + Reader {}
impl<T: Synthesis + Reader> Backend for T {}

/// Runs `case` on the in-memory backend and on a fresh PostgreSQL database.
async fn on_every_backend<F, Fut>(case: F) -> anyhow::Result<()>
where
    F: Fn(Box<dyn Backend>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    case(Box::new(MemoryEvents::default()))
        .await
        .map_err(|e| e.context("memory backend"))?;
    let db = TestDb::create().await?;
    let result = async {
        let pg = PgEvents::connect(&db.url, 4).await?;
        case(Box::new(pg)).await
    }
    .await;
    db.drop_db().await;
    result.map_err(|e| e.context("postgres backend"))
}

fn report(id: &str, source: &str, project: &str, symbol: Option<&str>) -> Report {
    Report {
        id: id.into(),
        document_id: format!("doc-{id}"),
        source_id: source.into(),
        source_kind: "rss".into(),
        url: format!("https://example.test/{id}"),
        project: project.into(),
        symbol: symbol.map(str::to_string),
        status: Status::Scheduled,
        event_date: Some("2027-03-01".into()),
        date_precision: "day".into(),
        confidence: 0.5,
        snippet: format!("snippet {id}"),
        watchlist: false,
        observed_unix_ms: 1_000,
        fingerprint: None,
        duplicate_of: None,
        status_only: false,
        language: Some("en".into()),
    }
}

async fn apply(b: &dyn Backend, reports: Vec<Report>) -> anyhow::Result<Vec<Applied>> {
    let records: Vec<Record> = reports.into_iter().map(Record::Report).collect();
    Ok(b.apply_batch(&records).await?)
}

fn filter(pairs: &[(&str, &str)]) -> Filter {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    Filter::parse(&pairs).unwrap_or_else(|e| panic!("{e}"))
}

async fn all(b: &dyn Backend) -> anyhow::Result<Vec<tge_events::view::EventRow>> {
    Ok(b.list(&filter(&[("limit", "500")])).await?)
}

#[tokio::test]
async fn reports_merge_into_one_event_and_redeliveries_change_nothing() -> anyhow::Result<()> {
    on_every_backend(|b| async move {
        let doc = Record::Document(Document {
            id: "doc-a".into(),
            source_id: "s1".into(),
            source_kind: "rss".into(),
            url: "https://example.test/a".into(),
            title: "Nova sets its TGE".into(),
            text: "body".into(),
            published_unix_ms: None,
            fetched_unix_ms: 900,
            language: Some("en".into()),
        });
        assert_eq!(b.apply_batch(std::slice::from_ref(&doc)).await?, [Applied::Stored]);
        assert_eq!(b.apply_batch(&[doc]).await?, [Applied::Unchanged]);
        let mut no_language = report("c", "s3", "nova ", None);
        no_language.language = None;
        no_language.observed_unix_ms = 3_000;
        let out = apply(
            &*b,
            vec![
                report("a", "s1", "Nova", None),
                report("b", "s2", "NOVA", Some("$nova")),
                no_language.clone(),
                no_language,
            ],
        )
        .await?;
        assert!(matches!(&out[0], Applied::Event(c) if c.created && c.version == 1));
        assert!(matches!(&out[1], Applied::Event(c) if !c.created && c.symbol.as_deref() == Some("NOVA")));
        assert_eq!(out[3], Applied::Unchanged, "a redelivery in the same batch");
        let again = apply(&*b, vec![report("a", "s1", "Nova", None)]).await?;
        assert_eq!(again, [Applied::Unchanged], "a redelivery in a later batch");
        let events = all(&*b).await?;
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(
            (e.symbol.as_deref(), e.corroboration, e.version),
            (Some("NOVA"), 3, 3)
        );
        assert!((e.confidence - 0.875).abs() < 1e-9, "{}", e.confidence);
        assert_eq!(e.first_seen_us, 1_000_000);
        assert_eq!(e.last_seen_us, 3_000_000);
        let detail = b.detail(e.id).await?.ok_or_else(|| anyhow::anyhow!("no detail"))?;
        let ids: Vec<&str> = detail.evidence.iter().map(|v| v.finding_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(detail.evidence[0].document_title.as_deref(), Some("Nova sets its TGE"));
        let languages: Vec<Option<&str>> = detail.evidence.iter().map(|v| v.language.as_deref()).collect();
        assert_eq!(languages, [Some("en"), Some("en"), None]);
        let versions: Vec<(i32, i32)> = detail.history.iter().map(|h| (h.version, h.corroboration)).collect();
        assert_eq!(versions, [(1, 1), (2, 2), (3, 3)]);
        assert!(b.detail(e.id + 1_000).await?.is_none());
        Ok(())
    })
    .await
}

#[tokio::test]
async fn tickers_are_adopted_once_and_new_tickers_are_new_events() -> anyhow::Result<()> {
    on_every_backend(|b| async move {
        apply(&*b, vec![report("a", "s1", "Orrery", None)]).await?;
        apply(&*b, vec![report("b", "s2", "Orrery", Some("ORY"))]).await?;
        let mut other = report("c", "s3", "Orrery", Some("ORX"));
        other.observed_unix_ms = 5_000;
        apply(&*b, vec![other]).await?;
        let mut events = all(&*b).await?;
        events.sort_by_key(|e| e.id);
        let symbols: Vec<Option<&str>> = events.iter().map(|e| e.symbol.as_deref()).collect();
        assert_eq!(symbols, [Some("ORY"), Some("ORX")]);
        // no ticker: the project's latest event
        let mut plain = report("d", "s4", "Orrery", None);
        plain.observed_unix_ms = 6_000;
        let out = apply(&*b, vec![plain]).await?;
        assert!(matches!(&out[0], Applied::Event(c) if c.symbol.as_deref() == Some("ORX") && c.corroboration == 2));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn status_reports_postpone_and_cancel_existing_events_only() -> anyhow::Result<()> {
    on_every_backend(|b| async move {
        apply(&*b, vec![report("a", "s1", "Nova", None)]).await?;
        let status_only = |id: &str, project: &str, status: Status, at: i64| Report {
            status,
            status_only: true,
            observed_unix_ms: at,
            event_date: Some("2030-01-01".into()),
            ..report(id, "s9", project, None)
        };
        let out = apply(
            &*b,
            vec![
                status_only("p", "Nova", Status::Postponed, 2_000),
                status_only("x", "Elsewhere", Status::Cancelled, 2_000),
            ],
        )
        .await?;
        assert!(
            matches!(&out[0], Applied::Event(c) if c.status == "postponed" && c.corroboration == 1)
        );
        assert_eq!(
            out[1],
            Applied::Unchanged,
            "a cancellation creates no event"
        );
        let e = &all(&*b).await?[0];
        assert_eq!(
            e.event_date.as_deref(),
            Some("2027-03-01"),
            "status reports keep the date"
        );
        let mut rescheduled = report("r", "s2", "Nova", None);
        rescheduled.observed_unix_ms = 3_000;
        apply(&*b, vec![rescheduled]).await?;
        apply(
            &*b,
            vec![status_only("k", "Nova", Status::Cancelled, 4_000)],
        )
        .await?;
        let events = all(&*b).await?;
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].status.as_str(), events[0].corroboration),
            ("cancelled", 2)
        );
        let detail = b
            .detail(events[0].id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no detail"))?;
        assert_eq!(detail.evidence.iter().filter(|v| v.status_only).count(), 2);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn the_most_precise_date_wins_and_copies_do_not_corroborate() -> anyhow::Result<()> {
    on_every_backend(|b| async move {
        let dated =
            |id: &str, source: &str, date: &str, precision: &str, fingerprint: u64| Report {
                event_date: Some(date.into()),
                date_precision: precision.into(),
                fingerprint: Some(fingerprint),
                ..report(id, source, "Quill", None)
            };
        apply(
            &*b,
            vec![
                dated("a", "s1", "2027-Q2", "quarter", 0xFFFF_0000_FFFF_0000),
                dated("b", "s2", "2027-05-14", "day", 0x0000_FFFF_0000_FFFF),
            ],
        )
        .await?;
        apply(
            &*b,
            vec![
                dated("c", "s3", "2027-05", "month", 0xFFFF_0000_FFFF_00FF), // copies s1
                dated("d", "s1", "2027-05", "month", 0xFFFF_0000_FFFF_0001), // same source
            ],
        )
        .await?;
        let e = &all(&*b).await?[0];
        assert_eq!(e.event_date.as_deref(), Some("2027-05-14"));
        assert_eq!(e.date_precision, "day");
        assert_eq!(e.corroboration, 2, "s3 copies s1");
        let detail = b
            .detail(e.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no detail"))?;
        let copy = detail.evidence.iter().find(|v| v.finding_id == "c");
        assert_eq!(copy.and_then(|v| v.duplicate_of.as_deref()), Some("s1"));
        let dates: Vec<Option<&str>> = detail
            .history
            .iter()
            .map(|h| h.event_date.as_deref())
            .collect();
        assert_eq!(
            dates,
            [
                Some("2027-Q2"),
                Some("2027-05-14"),
                Some("2027-05-14"),
                Some("2027-05-14")
            ]
        );
        Ok(())
    })
    .await
}

/// Ten events: `Proj i`, confidence i/10, seen at i seconds, odd ones from
/// an exchange, every third on the watchlist, a month or a quarter (none
/// for 4), statuses in turn.
fn listing_reports() -> Vec<Report> {
    (0..10)
        .map(|i| {
            let mut r = report(
                &format!("r{i}"),
                &format!("src{i}"),
                &format!("Proj {i}"),
                None,
            );
            r.source_kind = if i % 2 == 0 { "rss" } else { "exchange" }.into();
            r.confidence = i as f64 / 10.0;
            r.observed_unix_ms = 1_000 * i64::from(i);
            r.watchlist = i % 3 == 0;
            r.status = Status::ALL[(i % 3) as usize];
            r.symbol = (i == 2).then(|| "P2".into());
            (r.event_date, r.date_precision) = match i {
                4 => (None, "unknown".into()),
                _ if i % 2 == 0 => (Some(format!("2027-{:02}", i + 1)), "month".into()),
                _ => (Some(format!("2027-Q{}", i % 4 + 1)), "quarter".into()),
            };
            r
        })
        .collect()
}

fn names(events: &[tge_events::view::EventRow]) -> Vec<String> {
    events.iter().map(|e| e.project.clone()).collect()
}

#[tokio::test]
async fn every_filter_selects_the_same_events() -> anyhow::Result<()> {
    on_every_backend(|b| async move {
        apply(&*b, listing_reports()).await?;
        let list = |pairs: &'static [(&'static str, &'static str)]| {
            let b = &b;
            async move { anyhow::Ok(names(&b.list(&filter(pairs)).await?)) }
        };
        let p = |ids: &[u8]| ids.iter().map(|i| format!("Proj {i}")).collect::<Vec<_>>();
        assert_eq!(list(&[("project", " proj  3")]).await?, p(&[3]));
        assert_eq!(
            list(&[("project_prefix", "PROJ"), ("limit", "3")]).await?,
            p(&[9, 8, 7, 6])
        );
        assert_eq!(list(&[("symbol", "$p2")]).await?, p(&[2]));
        assert_eq!(
            list(&[("status", "live,announced")]).await?,
            p(&[9, 8, 6, 5, 3, 2, 0])
        );
        assert_eq!(
            list(&[("date_from", "2027-04-01"), ("date_to", "2027-04-01")]).await?,
            p(&[9, 5, 1]),
            "a quarter starts on its first day"
        );
        assert_eq!(list(&[("date_from", "2027-09-01")]).await?, p(&[8, 7, 3]));
        assert_eq!(
            list(&[("since", "1970-01-01T00:00:07Z")]).await?,
            p(&[9, 8, 7])
        );
        assert_eq!(
            list(&[("until", "1970-01-01T00:00:02Z")]).await?,
            p(&[1, 0])
        );
        assert_eq!(
            list(&[("min_confidence", "0.7"), ("source_kind", "exchange")]).await?,
            p(&[9, 7])
        );
        assert_eq!(list(&[("watchlist", "true")]).await?, p(&[9, 6, 3, 0]));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn sort_orders_and_cursor_pages_agree_with_the_rust_order() -> anyhow::Result<()> {
    on_every_backend(|b| async move {
        apply(&*b, listing_reports()).await?;
        for sort in [
            "last_seen",
            "-last_seen",
            "first_seen",
            "-first_seen",
            "confidence",
            "-confidence",
            "event_date",
            "-event_date",
        ] {
            let whole = b.list(&filter(&[("sort", sort), ("limit", "500")])).await?;
            let mut expected = whole.clone();
            let f = filter(&[("sort", sort)]);
            expected.sort_by(|x, y| f.order(x, y));
            assert_eq!(names(&whole), names(&expected), "sort={sort}");
            assert_eq!(whole.len(), 10);
            let mut paged = Vec::new();
            let mut cursor = None::<String>;
            loop {
                let mut pairs = vec![("sort", sort), ("limit", "3")];
                if let Some(c) = &cursor {
                    pairs.push(("cursor", c.as_str()));
                }
                let f = filter(&pairs);
                let mut page = b.list(&f).await?;
                let more = page.len() > 3;
                page.truncate(3);
                paged.extend(names(&page));
                let Some(last) = page.last().filter(|_| more) else {
                    break;
                };
                cursor = Some(f.cursor(&key_of(last, f.sort), last.id));
            }
            assert_eq!(paged, names(&whole), "pages of sort={sort}");
        }
        let by_date = names(&b.list(&filter(&[("sort", "event_date")])).await?);
        assert_eq!(by_date.first().map(String::as_str), Some("Proj 0"));
        assert_eq!(
            by_date.last().map(String::as_str),
            Some("Proj 4"),
            "no date sorts last"
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn projects_and_changes_since_a_sequence_number() -> anyhow::Result<()> {
    on_every_backend(|b| async move {
        assert_eq!(b.last_seq().await?, 0);
        apply(&*b, listing_reports()).await?;
        let projects = b.projects(Some("proj"), 3).await?;
        let listed: Vec<(&str, i64)> = projects
            .iter()
            .map(|p| (p.project.as_str(), p.events))
            .collect();
        assert_eq!(listed, [("Proj 9", 1), ("Proj 8", 1), ("Proj 7", 1)]);
        assert!(b.projects(Some("nothing"), 3).await?.is_empty());
        let all_changes = b.changes_since(0, 100).await?;
        let mut in_order = names(&all_changes);
        in_order.sort_by_key(|n| n.trim_start_matches("Proj ").parse::<u32>().unwrap_or(99));
        assert_eq!(
            names(&all_changes),
            in_order,
            "one batch: changes in report order"
        );
        let seqs: Vec<i64> = all_changes.iter().map(|e| e.change_seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        let last = b.last_seq().await?;
        assert_eq!(Some(&last), seqs.last());
        assert_eq!(
            names(&b.changes_since(seqs[7], 100).await?),
            ["Proj 8", "Proj 9"]
        );
        assert_eq!(b.changes_since(0, 2).await?.len(), 2);
        let mut later = report("late", "other", "Proj 3", None);
        later.observed_unix_ms = 20_000;
        apply(&*b, vec![later]).await?;
        let changed = b.changes_since(last, 100).await?;
        assert_eq!(names(&changed), ["Proj 3"]);
        assert!(b.last_seq().await? > last);
        assert_eq!(b.changes_since(b.last_seq().await?, 100).await?.len(), 0);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn periods_start_on_the_same_day_in_sql_and_rust() -> anyhow::Result<()> {
    on_every_backend(|b| async move {
        let dates = [
            "2027-02-28",
            "2027-02-30",
            "2027-Q1",
            "2027-13",
            "2028-02",
            "soon",
        ];
        let reports = dates
            .iter()
            .enumerate()
            .map(|(i, d)| Report {
                event_date: Some(d.to_string()),
                observed_unix_ms: 1_000 * i as i64,
                ..report(&format!("d{i}"), "s", &format!("Dated {d}"), None)
            })
            .collect();
        apply(&*b, reports).await?;
        let sorted = names(&b.list(&filter(&[("sort", "event_date")])).await?);
        assert_eq!(
            sorted,
            [
                "Dated 2027-Q1",
                "Dated 2027-02-28",
                "Dated 2028-02",
                "Dated 2027-02-30",
                "Dated 2027-13",
                "Dated soon",
            ],
            "impossible dates have no period: last, by id"
        );
        let from = names(&b.list(&filter(&[("date_from", "2027-01-01")])).await?);
        assert_eq!(from, ["Dated 2028-02", "Dated 2027-Q1", "Dated 2027-02-28"]);
        Ok(())
    })
    .await
}
