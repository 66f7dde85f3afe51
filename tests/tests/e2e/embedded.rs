//! The README's first command: the whole swarm in one process, offline,
//! shows detections from its bundled demo feed within seconds — and none
//! for the demo's hard negatives.

use std::process::Stdio;
use std::time::Duration;

use swarm_tests::{bin, free_port, wait_until};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn the_one_process_run_detects_tges_from_its_demo_feed() -> anyhow::Result<()> {
    let mut child = Command::new(bin("swarm"))
        .arg("--grpc-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--coordinator-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--api-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
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
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            sink.lock().unwrap_or_else(|p| p.into_inner()).push(line);
        }
    });
    let detected = || {
        lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["message"] == "TGE detected")
            .filter_map(|v| v["project"].as_str().map(str::to_string))
            .collect::<Vec<_>>()
    };
    let projects = wait_until(Duration::from_secs(60), "three detections", || async {
        let found = detected();
        (found.len() >= 3).then_some(found)
    })
    .await
    .map_err(|e| {
        anyhow::anyhow!(
            "{e}; log:\n{}",
            lines.lock().unwrap_or_else(|p| p.into_inner()).join("\n")
        )
    })?;
    for wanted in ["Halvard Labs", "Kestrune", "Veyra"] {
        assert!(
            projects.iter().any(|p| p == wanted),
            "{wanted} not in {projects:?}"
        );
    }
    // give the feed time to show every item, negatives included
    tokio::time::sleep(Duration::from_secs(8)).await;
    let all = detected();
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
    Ok(())
}
