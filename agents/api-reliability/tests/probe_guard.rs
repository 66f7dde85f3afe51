//! Source probes go through the outbound guard: a probe of a loopback
//! address that is not allow-listed, or of an allowed one redirecting to
//! another loopback address, fails permanently and nothing is asked there.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agent_runtime::{Handler, TaskContext};
use api_reliability::config::AlertConfig;
use api_reliability::handler::ReliabilityHandler;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use swarm_memory::reliability::{BreakerPolicy, SharedBreaker};
use swarm_memory::{LocalMemory, Memory};
use swarm_outbound::{Guard, Policy};
use swarm_proto::v1::{ProbeSource, Task, TaskPayload, TaskSpec, task_payload};

async fn serve(ip: &str, redirect_to: Option<String>) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().fallback(get(move || {
        let (counter, redirect_to) = (counter.clone(), redirect_to.clone());
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            match redirect_to {
                Some(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
                None => "ok".into_response(),
            }
        }
    }));
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/health"), hits)
}

fn agent(allow: &str) -> ReliabilityHandler {
    let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
    ReliabilityHandler::new(
        AlertConfig::default(),
        memory.clone(),
        SharedBreaker::new(memory, BreakerPolicy::default()),
        None,
        Guard::new(Policy::from_list(allow).unwrap()),
    )
    .unwrap()
}

fn probe(url: &str) -> TaskContext {
    TaskContext {
        task: Task {
            attempt: 1,
            spec: Some(TaskSpec {
                payload: Some(TaskPayload {
                    kind: Some(task_payload::Kind::ProbeSource(ProbeSource {
                        source_id: format!("probe-{:08x}", rand_id()),
                        url: url.into(),
                    })),
                }),
                ..TaskSpec::default()
            }),
            ..Task::default()
        },
    }
}

fn rand_id() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

#[tokio::test]
async fn probes_of_non_public_addresses_need_the_allow_list() {
    let (inner, inner_hits) = serve("127.0.0.2", None).await;
    let (outer, outer_hits) = serve("127.0.0.1", Some(inner.clone())).await;
    for url in [outer.as_str(), "http://169.254.169.254/latest/meta-data/"] {
        let error = agent("").handle(probe(url)).await.expect_err("refused");
        assert!(
            !error.retryable && error.message.contains("refused"),
            "{}",
            error.message
        );
    }
    assert_eq!(outer_hits.load(Ordering::SeqCst), 0);
    let error = agent("127.0.0.1/32")
        .handle(probe(&outer))
        .await
        .expect_err("the redirect is refused");
    assert!(error.message.contains("127.0.0.2"), "{}", error.message);
    assert_eq!(inner_hits.load(Ordering::SeqCst), 0);
    let healthy = agent("127.0.0.1/32, 127.0.0.2/32")
        .handle(probe(&outer))
        .await
        .expect("allowed");
    assert!(healthy.summary.contains("healthy"), "{}", healthy.summary);
}
