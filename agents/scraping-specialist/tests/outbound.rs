//! What the scraper may reach, through the real handler against loopback
//! servers: the X bearer token goes only to the configured X API origin
//! (never to a task's other endpoint, never along a redirect), and the
//! outbound guard refuses non-public destinations that are not
//! allow-listed — a feed redirecting to another loopback address, the
//! metadata address, a WebSocket stream on loopback.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use agent_runtime::{Handler, TaskContext};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use scraping_specialist::fetch::{FetchOptions, Fetcher};
use scraping_specialist::handler::{ScrapeHandler, ScrapeSettings};
use swarm_memory::{FindingsSink, LocalMemory, Memory};
use swarm_outbound::{Guard, Policy};
use swarm_proto::v1::{FetchSource, Task, TaskPayload, TaskSpec, task_payload};

const TOKEN: &str = "x-token-for-tests-only";

/// Requests a server saw: (path, Authorization header).
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A server on `ip` recording every request; answers an empty X search
/// result, or a redirect to `redirect_to`.
async fn serve(ip: &str, redirect_to: Option<String>) -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let app = Router::new().fallback(get(move |uri: axum::http::Uri, headers: HeaderMap| {
        let (record, redirect_to) = (record.clone(), redirect_to.clone());
        async move {
            let auth = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            record.lock().unwrap().push((uri.path().to_string(), auth));
            match redirect_to {
                Some(to) => (StatusCode::FOUND, [(header::LOCATION, to)], "").into_response(),
                None => (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"meta":{"result_count":0}}"#,
                )
                    .into_response(),
            }
        }
    }));
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, seen)
}

fn handler(allow: &str, x_api_base: &str) -> ScrapeHandler {
    let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
    let options = FetchOptions {
        host_rate_per_sec: 1_000.0,
        host_burst: 100,
        timeout: std::time::Duration::from_secs(2),
        respect_robots: false,
        outbound: Guard::new(Policy::from_list(allow).unwrap()),
        ..FetchOptions::default()
    };
    let fetcher = Fetcher::new(memory.clone(), options).unwrap();
    let settings = ScrapeSettings {
        queen_addr: Some("http://127.0.0.1:1".into()),
        x_bearer_token: Some(TOKEN.into()),
        x_api_base: x_api_base.into(),
        ..ScrapeSettings::default()
    };
    let findings = FindingsSink::new(memory.clone(), "scrape:{o}:stream", "scraping-specialist");
    ScrapeHandler::new(fetcher, memory, findings, settings)
}

fn fetch(kind: &str, url: &str) -> TaskContext {
    TaskContext {
        task: Task {
            attempt: 1,
            spec: Some(TaskSpec {
                payload: Some(TaskPayload {
                    kind: Some(task_payload::Kind::FetchSource(FetchSource {
                        source_id: format!("src-{:08x}", rand::random::<u32>()),
                        url: url.into(),
                        source_kind: kind.into(),
                        query: "tge".into(),
                        ..FetchSource::default()
                    })),
                }),
                ..TaskSpec::default()
            }),
            ..Task::default()
        },
    }
}

#[tokio::test]
async fn the_x_token_never_goes_to_an_endpoint_a_task_names_elsewhere() {
    let (addr, seen) = serve("127.0.0.1", None).await;
    let endpoint = format!("http://{addr}/2/tweets/search/recent");
    // the configured X API is the real one; the task points at loopback
    let scraper = handler("127.0.0.1/32", "https://api.x.com");
    let error = scraper
        .handle(fetch("x_search", &endpoint))
        .await
        .expect_err("refused");
    assert!(!error.retryable);
    assert!(
        error.message.contains("not on the configured X API origin"),
        "{}",
        error.message
    );
    assert!(
        seen.lock().unwrap().iter().all(|(_, auth)| auth.is_none()),
        "the token was sent: {:?}",
        seen.lock().unwrap()
    );

    // the same server configured as the X API gets the token
    let configured = handler("127.0.0.1/32", &format!("http://{addr}"));
    configured
        .handle(fetch("x_search", &endpoint))
        .await
        .expect("the configured API is polled");
    let bearer = format!("Bearer {TOKEN}");
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|(_, auth)| auth.as_deref() == Some(bearer.as_str()))
    );
}

#[tokio::test]
async fn the_x_token_does_not_follow_a_redirect() {
    let (elsewhere, elsewhere_seen) = serve("127.0.0.2", None).await;
    let (api, _) = serve(
        "127.0.0.1",
        Some(format!("http://{elsewhere}/2/tweets/search/recent")),
    )
    .await;
    let scraper = handler("127.0.0.0/8", &format!("http://{api}"));
    let result = scraper
        .handle(fetch(
            "x_search",
            &format!("http://{api}/2/tweets/search/recent"),
        ))
        .await;
    assert!(result.is_err(), "a redirect of the API is an error");
    assert!(
        elsewhere_seen.lock().unwrap().is_empty(),
        "followed: {:?}",
        elsewhere_seen.lock().unwrap()
    );
}

#[tokio::test]
async fn a_feed_redirecting_to_an_address_not_allow_listed_is_refused() {
    let (inner, inner_seen) = serve("127.0.0.2", None).await;
    let (outer, _) = serve("127.0.0.1", Some(format!("http://{inner}/admin"))).await;
    let scraper = handler("127.0.0.1/32", "");
    let error = scraper
        .handle(fetch("rss", &format!("http://{outer}/feed.xml")))
        .await
        .expect_err("refused");
    assert!(!error.retryable, "{}", error.message);
    assert!(error.message.contains("refused"), "{}", error.message);
    assert!(inner_seen.lock().unwrap().is_empty());

    // nothing allow-listed: loopback itself is refused, as is the
    // metadata address
    let strict = handler("", "");
    for url in [
        format!("http://{outer}/feed.xml"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[::ffff:10.0.0.1]/feed".to_string(),
    ] {
        let error = strict
            .handle(fetch("rss", &url))
            .await
            .expect_err("refused");
        assert!(
            error.message.contains("refused"),
            "{url}: {}",
            error.message
        );
    }
}

#[tokio::test]
async fn a_stream_on_a_non_public_address_gets_no_listener() {
    let strict = handler("", "");
    let error = strict
        .handle(fetch("websocket", "ws://127.0.0.1:9/stream"))
        .await
        .expect_err("refused");
    assert!(error.message.contains("refused"), "{}", error.message);
    let error = strict
        .handle(fetch("websocket", "http://example.com/stream"))
        .await
        .expect_err("not a stream scheme");
    assert!(error.message.contains("scheme"), "{}", error.message);
}
