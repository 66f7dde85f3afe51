//! The README's first command: the whole swarm in one process, offline,
//! shows detections from its bundled demo feed within seconds — and none
//! for the demo's hard negatives; its queue and events survive a restart
//! (journals in the data directory).

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use swarm_proto::AgentKind;
use swarm_tests::{bin, free_port, http_get, wait_until};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `swarm` process and the JSON log lines it wrote.
struct Swarm {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    grpc_port: u16,
    api_port: u16,
    /// The admin token the run wrote for `queenctl`.
    token_file: std::path::PathBuf,
}

impl Swarm {
    fn start(data_dir: &Path) -> anyhow::Result<Self> {
        let grpc_port = free_port();
        let api_port = free_port();
        let mut child = Command::new(bin("swarm"))
            .arg("--grpc-addr")
            .arg(format!("127.0.0.1:{grpc_port}"))
            .arg("--metrics-addr")
            .arg(format!("127.0.0.1:{}", free_port()))
            .arg("--coordinator-addr")
            .arg(format!("127.0.0.1:{}", free_port()))
            .arg("--api-addr")
            .arg(format!("127.0.0.1:{api_port}"))
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("SWARM_QUEEN_TOKEN")
            .args(["--demo-every-secs", "1", "--log-format", "json"])
            .env("RUST_LOG", "info")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = lines.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line);
            }
        });
        Ok(Self {
            child,
            lines,
            grpc_port,
            api_port,
            token_file: data_dir.join("admin.token"),
        })
    }

    /// Whether every demo item was analyzed and every candidate validated.
    /// The run's admin link, with the token it wrote.
    fn admin_link(&self) -> Option<queen::client::QueenLink> {
        let token = std::fs::read_to_string(&self.token_file).ok()?;
        queen::client::QueenLink::new(format!("http://127.0.0.1:{}", self.grpc_port))
            .with_token(&token)
            .ok()
    }

    async fn demo_processed(&self) -> Option<()> {
        let mut admin = queen::client::admin(self.admin_link()?).await.ok()?;
        let stats = admin
            .get_stats(swarm_proto::v1::GetStatsRequest {})
            .await
            .ok()?
            .into_inner();
        let kind = |k: AgentKind| stats.kinds.iter().find(|s| s.kind == k as i32);
        let analyzed = kind(AgentKind::KeywordPrecision)?.completed;
        // ready or in an agent's hands (a retry waiting on its backoff is
        // not the feed's doing)
        let validating = kind(AgentKind::DataQuality)
            .map(|k| k.ready_by_priority.iter().sum::<u64>() + k.leased)?;
        (analyzed >= swarm::demo_items() as u64 && validating == 0).then_some(())
    }

    /// Log records whose message is `message`.
    fn records(&self, message: &str) -> Vec<serde_json::Value> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["message"] == message)
            .collect()
    }

    fn detected(&self) -> Vec<String> {
        self.records("TGE detected")
            .iter()
            .filter_map(|v| v["project"].as_str().map(str::to_string))
            .collect()
    }

    /// The JSON body of the query API's answer at `path`.
    async fn api(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        let raw = http_get(&format!("http://127.0.0.1:{}{path}", self.api_port)).await?;
        let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        Ok(serde_json::from_str(body)?)
    }

    /// The languages of the evidence of `project`'s event, via the API.
    async fn evidence_languages(&self, project: &str) -> anyhow::Result<Vec<serde_json::Value>> {
        let page = self.api("/api/v1/tges?limit=100").await?;
        let id = page["items"]
            .as_array()
            .and_then(|items| items.iter().find(|e| e["project"] == project))
            .and_then(|e| e["id"].as_i64())
            .ok_or_else(|| anyhow::anyhow!("no event of {project}: {page}"))?;
        let detail = self.api(&format!("/api/v1/tges/{id}")).await?;
        Ok(detail["evidence"]
            .as_array()
            .map(|v| v.iter().map(|e| e["language"].clone()).collect())
            .unwrap_or_default())
    }

    fn log(&self) -> String {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .join("\n")
    }
}

#[tokio::test]
async fn the_one_process_run_detects_tges_from_its_demo_feed() -> anyhow::Result<()> {
    let data_dir = std::env::temp_dir().join(format!("swarm-data-{:08x}", rand::random::<u32>()));
    let mut swarm = Swarm::start(&data_dir)?;
    let projects = wait_until(Duration::from_secs(60), "three detections", || async {
        let found = swarm.detected();
        (found.len() >= 3).then_some(found)
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}; log:\n{}", swarm.log()))?;
    for wanted in ["Halvard Labs", "Kestrune", "Veyra"] {
        assert!(
            projects.iter().any(|p| p == wanted),
            "{wanted} not in {projects:?}"
        );
    }
    // every item shown and analyzed, negatives included
    wait_until(
        Duration::from_secs(60),
        "every demo item to be processed",
        || swarm.demo_processed(),
    )
    .await
    .map_err(|e| {
        let (code, out, err) = std::process::Command::new(bin("queenctl"))
            .args([
                "--queen",
                &format!("http://127.0.0.1:{}", swarm.grpc_port),
                "stats",
            ])
            .env("SWARM_QUEEN_TOKEN_FILE", &swarm.token_file)
            .output()
            .map_or((None, String::new(), String::new()), |o| {
                (
                    o.status.code(),
                    String::from_utf8_lossy(&o.stdout).to_string(),
                    String::from_utf8_lossy(&o.stderr).to_string(),
                )
            });
        anyhow::anyhow!("{e}; stats ({code:?}):\n{out}{err}\nlog:\n{}", swarm.log())
    })?;
    // the run made its own credentials: an anonymous caller is refused
    let mut anonymous =
        queen::client::admin(format!("http://127.0.0.1:{}", swarm.grpc_port)).await?;
    let refused = anonymous
        .get_stats(swarm_proto::v1::GetStatsRequest {})
        .await
        .expect_err("the one-process run enforces its own credentials");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let all = swarm.detected();
    for negative in ["Marlow", "Pellin", "Brightfold", "Orinth"] {
        assert!(
            !all.iter().any(|p| p.contains(negative)),
            "false alarm for {negative}: {all:?}"
        );
    }
    assert_eq!(
        all.iter().filter(|p| *p == "Halvard Labs").count(),
        1,
        "a second report updates, not duplicates"
    );

    // the evidence carries the language detected from the (English) items
    let languages = swarm.evidence_languages("Halvard Labs").await?;
    assert!(
        !languages.is_empty() && languages.iter().all(|l| l == "en"),
        "{languages:?}"
    );

    // killed outright, started again on the same data directory: the
    // events come back from the journal
    let _ = swarm.child.kill().await;
    let restarted = Swarm::start(&data_dir)?;
    let restored = wait_until(Duration::from_secs(20), "the restart", || async {
        restarted
            .records("queue and events journaled; events restored")
            .first()
            .and_then(|v| v["events"].as_u64())
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}; log:\n{}", restarted.log()))?;
    assert!(
        restored >= 3,
        "{restored} events restored, {} detected before",
        all.len()
    );
    let replayed = restarted.evidence_languages("Halvard Labs").await?;
    assert_eq!(replayed, languages, "the journal keeps the language");
    drop(restarted);
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}
