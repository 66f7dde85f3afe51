//! A feed of headline-only items, polled through the real handler against
//! a loopback site: the linked article's main text reaches the
//! `AnalyzeDocument` follow-up (with the detected language), while a
//! robots-disallowed page, a missing page, a non-HTML link and an item
//! that already brings its story are not read (or not used); a second
//! poll reads no page again; the per-poll allowance is kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agent_runtime::{Handler, TaskContext};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use scraping_specialist::fetch::{FetchOptions, Fetcher};
use scraping_specialist::handler::{ScrapeHandler, ScrapeSettings};
use scraping_specialist::linked::{LinkedOptions, LinkedPages, PageOutcome};
use scraping_specialist::parse::Item;
use swarm_memory::{FindingsSink, LocalMemory, Memory};
use swarm_proto::v1::{AnalyzeDocument, FetchSource, Task, TaskPayload, TaskSpec, task_payload};

const ARTICLE: &str = r#"<!doctype html><html><head><title>Fernhollow</title>
<script>window.track("airdrop banner")</script></head><body>
<nav><a href="/">Home</a><a href="/airdrops">Airdrops</a></nav>
<main><article><h1>Fernhollow sets a date</h1>
<p>Fernhollow Protocol will hold its token generation event on August 12, 2027;
FHW claims open the same day for everyone who used the testnet.</p>
<p>The team&#8217;s points program closes a week before.</p></article></main>
<footer>&copy; Outlet</footer></body></html>"#;

const ARTICLE_ZH: &str = r#"<html><body><article>
<p>知岚协议宣布将于二〇二七年三月十四日进行代币生成活动，空投领取同日开放，测试网用户均可参与。</p>
</article></body></html>"#;

/// The loopback site: a feed, its articles, and a count of requests per path.
#[derive(Default)]
struct Site {
    feed: Mutex<String>,
    hits: Mutex<HashMap<String, u32>>,
}

impl Site {
    fn hits(&self, path: &str) -> u32 {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

#[allow(
    clippy::match_same_arms,
    reason = "a route table: one path per arm, several serve the same article"
)]
async fn page(State(site): State<Arc<Site>>, Path(path): Path<String>) -> impl IntoResponse {
    *site.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let html = |body: &str| {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body.to_string(),
        )
    };
    match path.as_str() {
        "news/slow" => {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            html(ARTICLE)
        }
        "news/huge" => html(&format!(
            "<article>{}</article>",
            "<p>x</p>".repeat(200_000)
        )),
        "news/empty" => html("<html><body><nav>menu only</nav></body></html>"),
        "news/fernhollow" => html(ARTICLE),
        "news/zhilan" => html(ARTICLE_ZH),
        "news/long" | "private/insider" => html(ARTICLE),
        "data.json" => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"text":"Fernhollow"}"#.to_string(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html")],
            "<p>not found</p>".to_string(),
        ),
    }
}

async fn serve(site: Arc<Site>) -> String {
    let app = Router::new()
        .route(
            "/feed.xml",
            get(|State(site): State<Arc<Site>>| async move { site.feed.lock().unwrap().clone() }),
        )
        .route(
            "/robots.txt",
            get(|| async { "User-agent: *\nDisallow: /private/\n" }),
        )
        .route("/{*path}", get(page))
        .with_state(site);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

/// An RSS feed of (link, title, description) without a language tag.
fn rss(items: &[(String, &str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(link, title, text)| {
            format!(
                "<item><guid>{link}</guid><link>{link}</link><title>{title}</title><description>{text}</description></item>"
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>"#
    )
}

fn fetcher(memory: &Arc<dyn Memory>) -> Fetcher {
    let options = FetchOptions {
        host_rate_per_sec: 1_000.0,
        host_burst: 100,
        timeout: std::time::Duration::from_millis(500),
        max_body_bytes: 1024 * 1024,
        // the site is on loopback: allow-listed explicitly (default: refused)
        outbound: swarm_outbound::Guard::new(
            swarm_outbound::Policy::from_list("127.0.0.1/32").unwrap(),
        ),
        ..FetchOptions::default()
    };
    Fetcher::new(memory.clone(), options).unwrap()
}

fn handler(linked: LinkedOptions) -> ScrapeHandler {
    let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
    let fetcher = fetcher(&memory);
    let settings = ScrapeSettings {
        linked,
        ..ScrapeSettings::default()
    };
    let findings = FindingsSink::new(memory.clone(), "scrape:{t}:stream", "scraping-specialist");
    ScrapeHandler::new(fetcher, memory, findings, settings)
}

fn poll(url: &str) -> TaskContext {
    TaskContext {
        task: Task {
            attempt: 1,
            spec: Some(TaskSpec {
                payload: Some(TaskPayload {
                    kind: Some(task_payload::Kind::FetchSource(FetchSource {
                        source_id: "outlet".into(),
                        url: url.into(),
                        source_kind: "rss".into(),
                        ..FetchSource::default()
                    })),
                }),
                ..TaskSpec::default()
            }),
            ..Task::default()
        },
    }
}

/// The documents to analyze, by URL path.
fn documents(follow_ups: Vec<TaskSpec>, base: &str) -> HashMap<String, AnalyzeDocument> {
    follow_ups
        .into_iter()
        .filter_map(|spec| match spec.payload?.kind? {
            task_payload::Kind::AnalyzeDocument(doc) => Some(doc),
            _ => None,
        })
        .map(|doc| (doc.url.trim_start_matches(base).to_string(), doc))
        .collect()
}

#[tokio::test]
async fn headline_items_are_analyzed_with_their_pages_text() {
    let site = Arc::new(Site::default());
    let base = serve(site.clone()).await;
    let long_summary = "Fernhollow Protocol published its quarterly report. ".repeat(10);
    *site.feed.lock().unwrap() = rss(&[
        (
            format!("{base}/news/fernhollow"),
            "Fernhollow sets a date",
            "",
        ),
        (format!("{base}/news/zhilan"), "知岚协议公告", ""),
        (
            format!("{base}/private/insider"),
            "Insider note",
            "A short note.",
        ),
        (format!("{base}/news/gone"), "Gone", "Removed story."),
        (format!("{base}/data.json"), "Data", "Numbers."),
        (
            format!("{base}/news/long"),
            "Quarterly report",
            &long_summary,
        ),
    ]);
    let scraper = handler(LinkedOptions::default());
    let done = scraper
        .handle(poll(&format!("{base}/feed.xml")))
        .await
        .expect("the poll succeeds whatever the pages do");
    let docs = documents(done.follow_ups, &base);
    assert_eq!(docs.len(), 6, "every item goes on: {:?}", docs.keys());

    let fernhollow = &docs["/news/fernhollow"];
    assert_eq!(fernhollow.title, "Fernhollow sets a date");
    assert!(
        fernhollow.text.contains(
            "Fernhollow Protocol will hold its token generation event on August 12, 2027; FHW claims open the same day"
        ),
        "{}",
        fernhollow.text
    );
    assert!(fernhollow.text.contains("The team’s points program"));
    for junk in ["Home", "Airdrops", "track", "Outlet"] {
        assert!(
            !fernhollow.text.contains(junk),
            "{junk}: {}",
            fernhollow.text
        );
    }
    assert_eq!(fernhollow.language, "en");
    let zhilan = &docs["/news/zhilan"];
    assert!(zhilan.text.contains("代币生成活动"), "{}", zhilan.text);
    assert_eq!(zhilan.language, "zh");

    // robots.txt forbids /private/: never requested, the summary stays
    assert_eq!(site.hits("private/insider"), 0);
    assert_eq!(docs["/private/insider"].text, "A short note.");
    // a 404 and a JSON body leave the summary as it was
    assert_eq!(site.hits("news/gone"), 1);
    assert_eq!(docs["/news/gone"].text, "Removed story.");
    assert_eq!(site.hits("data.json"), 1);
    assert_eq!(docs["/data.json"].text, "Numbers.");
    // an item that brings its story is not fetched
    assert_eq!(site.hits("news/long"), 0);
    assert_eq!(docs["/news/long"].text, long_summary.trim());

    // nothing new on the next poll: no page is read again
    let again = scraper
        .handle(poll(&format!("{base}/feed.xml")))
        .await
        .unwrap();
    assert!(again.follow_ups.is_empty());
    assert_eq!(site.hits("news/fernhollow"), 1);
    assert_eq!(site.hits("news/zhilan"), 1);
}

#[tokio::test]
async fn a_poll_reads_at_most_its_allowance_of_pages() {
    let site = Arc::new(Site::default());
    let base = serve(site.clone()).await;
    *site.feed.lock().unwrap() = rss(&[
        (
            format!("{base}/news/fernhollow"),
            "Fernhollow sets a date",
            "",
        ),
        (format!("{base}/news/zhilan"), "知岚协议公告", ""),
    ]);
    let scraper = handler(LinkedOptions {
        max_per_poll: 1,
        ..LinkedOptions::default()
    });
    let done = scraper
        .handle(poll(&format!("{base}/feed.xml")))
        .await
        .unwrap();
    let docs = documents(done.follow_ups, &base);
    assert_eq!(docs.len(), 2);
    assert_eq!(site.hits("news/fernhollow"), 1, "the first item's page");
    assert_eq!(site.hits("news/zhilan"), 0, "beyond the allowance");
    assert!(docs["/news/fernhollow"].text.contains("August 12, 2027"));
    assert_eq!(docs["/news/zhilan"].text, "");
    assert_eq!(
        docs["/news/zhilan"].language, "zh",
        "detected from the title"
    );
}

#[tokio::test]
async fn every_failure_has_its_outcome_and_keeps_the_item() {
    let site = Arc::new(Site::default());
    let base = serve(site.clone()).await;
    let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
    let fetcher = fetcher(&memory);
    let pages = LinkedPages::new(memory, LinkedOptions::default());
    let paths = [
        "news/fernhollow",
        "private/insider",
        "news/gone",
        "data.json",
        "news/slow",
        "news/huge",
        "news/empty",
    ];
    let mut items: Vec<Item> = paths
        .iter()
        .map(|path| Item {
            guid: (*path).into(),
            url: format!("{base}/{path}"),
            title: "Headline".into(),
            text: "Summary.".into(),
            published_unix_ms: None,
            language: None,
            link: None,
        })
        .collect();
    let outcomes = pages
        .enrich(&fetcher, swarm_proto::names::SourceKind::Rss, &mut items)
        .await;
    assert_eq!(
        outcomes,
        [
            PageOutcome::Ok,
            PageOutcome::RobotsDisallowed,
            PageOutcome::HttpError,
            PageOutcome::NotHtml,
            PageOutcome::Timeout,
            PageOutcome::TooLarge,
            PageOutcome::Empty,
        ]
    );
    assert!(
        items[0]
            .text
            .starts_with("Summary.\n\nFernhollow sets a date"),
        "{}",
        items[0].text
    );
    assert!(items[1..].iter().all(|i| i.text == "Summary."), "{items:?}");
}

#[tokio::test]
async fn a_source_of_an_unknown_kind_fails_for_good_without_a_fetch() {
    let mut task = poll("http://127.0.0.1:9/never-fetched");
    if let Some(task_payload::Kind::FetchSource(source)) = task
        .task
        .spec
        .as_mut()
        .and_then(|s| s.payload.as_mut())
        .and_then(|p| p.kind.as_mut())
    {
        source.source_kind = "gopher".into();
    }
    let error = handler(LinkedOptions::default())
        .handle(task)
        .await
        .unwrap_err();
    assert!(!error.retryable);
    assert!(
        error.message.contains("unknown source kind `gopher`"),
        "{}",
        error.message
    );
}
