//! Hops of the detection pipeline through the real queen: a document to
//! analyze becomes, when it announces a TGE, a candidate finding in the
//! shared memory and a validation task for data-quality.

use swarm_memory::{Memory, RedisMemory};
use swarm_proto::v1::{AnalyzeDocument, SubmitTasksRequest, TaskPayload, TaskSpec, task_payload};
use swarm_proto::{AgentKind, TaskState};
use swarm_tests::{QueenProc, TestDb, bin, free_port, redis_cluster_url};
use swarm_types::{Envelope, Finding};
use tokio::process::Command;

fn analyze(document_id: &str, title: &str, text: &str) -> TaskSpec {
    TaskSpec {
        payload: Some(TaskPayload {
            kind: Some(task_payload::Kind::AnalyzeDocument(AnalyzeDocument {
                document_id: document_id.into(),
                source_id: "test-feed".into(),
                url: format!("https://news.example.test/{document_id}"),
                title: title.into(),
                text: text.into(),
                published_unix_ms: 0,
                ..AnalyzeDocument::default()
            })),
        }),
        ..TaskSpec::default()
    }
}

#[tokio::test]
async fn an_announcement_becomes_a_candidate_and_a_validation_task() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let _agent = Command::new(bin("keyword-precision"))
        .args([
            "run",
            "--queen",
            &queen.addr(),
            "--redis-url",
            &redis_cluster_url(),
        ])
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()?;
    let tag = format!("{:08x}", rand::random::<u32>());
    let positive = format!("doc-pos-{tag}");
    let negative = format!("doc-neg-{tag}");
    let mut admin = queen.admin().await?;
    admin
        .submit_tasks(SubmitTasksRequest {
            tasks: vec![
                analyze(&positive, "Quarrybrook sets its TGE", "Quarrybrook announces its token generation event for March 14, 2027; $QRB claims open the same day."),
                analyze(&negative, "No token yet", "Quarrybrook says it has no plans for a token and warns users about fake airdrop sites."),
            ],
        })
        .await?;
    let validations = crate::wait_tasks(
        &queen,
        TaskState::Ready,
        AgentKind::DataQuality,
        "a validation task",
    )
    .await?;
    assert_eq!(
        validations.len(),
        1,
        "only the announcement goes on to validation"
    );
    let spec = validations[0]
        .task
        .as_ref()
        .and_then(|t| t.spec.clone())
        .unwrap_or_default();
    let Some(task_payload::Kind::ValidateCandidate(candidate)) = spec.payload.and_then(|p| p.kind)
    else {
        anyhow::bail!("not a validation task");
    };
    assert_eq!(candidate.document_id, positive);
    assert_eq!(candidate.project, "Quarrybrook");
    assert_eq!(candidate.symbol, "QRB");
    assert_eq!(candidate.event_date, "2027-03-14");
    assert!(candidate.confidence > 0.9, "{}", candidate.confidence);
    // both analyses completed (nothing left for keyword-precision)
    let stats = admin
        .get_stats(swarm_proto::v1::GetStatsRequest {})
        .await?
        .into_inner();
    let kp = stats
        .kinds
        .iter()
        .find(|k| k.kind == AgentKind::KeywordPrecision as i32)
        .cloned()
        .unwrap_or_default();
    assert_eq!(kp.completed, 2);

    // the candidate is in the shared memory
    let memory = RedisMemory::connect(&redis_cluster_url()).await?;
    let recent = memory
        .recent(swarm_memory::layout::FINDINGS_STREAM, 200)
        .await?;
    let found = recent.iter().any(|d| {
        Envelope::<Finding>::from_bytes(&d.payload)
            .is_ok_and(|e| matches!(e.body, Finding::Candidate(ref c) if c.document_id == positive))
    });
    assert!(found, "candidate finding recorded");
    db.drop_db().await;
    Ok(())
}
