//! The memory coordinator against the real Redis Cluster (and the same
//! behaviour suite on the in-process backend).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use swarm_memory::{LocalMemory, Memory, RedisMemory};
use swarm_tests::{CoordinatorProc, TestDb, infra_script, redis_cluster_url, wait_until};
use swarm_types::finding::{Detection, Status};
use swarm_types::{Envelope, Finding};

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", rand::random::<u32>())
}

async fn cluster() -> anyhow::Result<Arc<dyn Memory>> {
    Ok(Arc::new(RedisMemory::connect(&redis_cluster_url()).await?))
}

/// One behaviour suite, run on every backend.
async fn behaviour_suite(memory: Arc<dyn Memory>) -> anyhow::Result<()> {
    let ns = unique("suite");
    // streams with a consumer group: read, ack, claim from a dead consumer
    let stream = format!("swarm:memory:{{{ns}}}:stream");
    memory.create_group(&stream, "g").await?;
    memory.create_group(&stream, "g").await?; // idempotent
    for i in 0..10 {
        memory
            .append(&stream, format!("item-{i}").as_bytes(), 1_000)
            .await?;
    }
    let first = memory
        .read_group(&stream, "g", "alice", 10, Duration::from_millis(100))
        .await?;
    assert_eq!(first.len(), 10);
    assert_eq!(first[0].payload, b"item-0");
    let acked: Vec<String> = first[..5].iter().map(|d| d.id.clone()).collect();
    assert_eq!(memory.ack(&stream, "g", &acked).await?, 5);
    assert_eq!(memory.pending(&stream, "g").await?, 5);
    let nothing_new = memory
        .read_group(&stream, "g", "bob", 10, Duration::from_millis(50))
        .await?;
    assert!(
        nothing_new.is_empty(),
        "delivered entries are not delivered again"
    );
    let (_, too_early) = memory
        .claim_idle(&stream, "g", "bob", Duration::from_secs(60), 10, "0-0")
        .await?;
    assert!(
        too_early.is_empty(),
        "entries of a live consumer are not claimed"
    );
    tokio::time::sleep(Duration::from_millis(120)).await;
    // two at a time: the cursor walks the pending list
    let (cursor, first) = memory
        .claim_idle(&stream, "g", "bob", Duration::from_millis(100), 2, "0-0")
        .await?;
    assert_eq!(first.len(), 2);
    assert_ne!(cursor, "0-0", "more pending entries behind the first two");
    let (_, rest) = memory
        .claim_idle(&stream, "g", "bob", Duration::from_millis(100), 10, &cursor)
        .await?;
    let claimed: Vec<_> = first.into_iter().chain(rest).collect();
    let claimed_payloads: Vec<&[u8]> = claimed.iter().map(|d| d.payload.as_slice()).collect();
    assert_eq!(
        claimed_payloads,
        vec![&b"item-5"[..], b"item-6", b"item-7", b"item-8", b"item-9"]
    );
    let ids: Vec<String> = claimed.iter().map(|d| d.id.clone()).collect();
    memory.ack(&stream, "g", &ids).await?;
    assert_eq!(memory.pending(&stream, "g").await?, 0);
    assert_eq!(memory.stream_len(&stream).await?, 10);
    let recent = memory.recent(&stream, 3).await?;
    assert_eq!(recent[0].payload, b"item-9", "newest first");

    // a blocked reader wakes up when an entry arrives
    let reader = {
        let (memory, stream) = (memory.clone(), stream.clone());
        tokio::spawn(async move {
            memory
                .read_group(&stream, "g", "carol", 1, Duration::from_secs(5))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    memory.append(&stream, b"late", 1_000).await?;
    let woke = reader.await??;
    assert_eq!(
        woke.first().map(|d| d.payload.clone()),
        Some(b"late".to_vec())
    );

    // first-seen dedup and values with TTLs
    let seen = swarm_memory::layout::seen_key(&ns, "https://example.test/a");
    assert!(
        memory
            .set_if_absent(&seen, "1", Duration::from_millis(300))
            .await?
    );
    assert!(
        !memory
            .set_if_absent(&seen, "1", Duration::from_millis(300))
            .await?
    );
    let breaker = swarm_memory::layout::breaker_key(&ns);
    memory
        .set(&breaker, "{\"state\":\"open\"}", Duration::from_millis(300))
        .await?;
    assert_eq!(
        memory.get(&breaker).await?.as_deref(),
        Some("{\"state\":\"open\"}")
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(memory.get(&breaker).await?, None, "expired");
    assert!(
        memory
            .set_if_absent(&seen, "1", Duration::from_secs(5))
            .await?,
        "seen marker expired"
    );

    // plain and sharded pub/sub, on channels in different slots
    let channels: Vec<String> = (0..3).map(|i| format!("swarm:channels:{ns}-{i}")).collect();
    let mut plain = memory.subscribe(&channels).await?;
    let mut sharded = memory.ssubscribe(&channels).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    for c in &channels {
        memory.publish(c, format!("plain {c}").as_bytes()).await?;
        memory
            .spublish(c, format!("sharded {c}").as_bytes())
            .await?;
    }
    for sub in [&mut plain, &mut sharded] {
        let mut got = HashSet::new();
        while got.len() < channels.len() {
            let (channel, _) = tokio::time::timeout(Duration::from_secs(5), sub.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("subscription ended"))?;
            got.insert(channel);
        }
        assert_eq!(got, channels.iter().cloned().collect::<HashSet<_>>());
    }

    // token bucket: never more than burst + rate × elapsed
    let bucket = swarm_memory::layout::bucket_key(&ns);
    let started = Instant::now();
    let mut allowed = 0u32;
    while started.elapsed() < Duration::from_millis(600) {
        if memory.take_token(&bucket, 20.0, 3).await?.allowed {
            allowed += 1;
        }
    }
    let ceiling = 3.0 + 20.0 * started.elapsed().as_secs_f64();
    assert!(
        f64::from(allowed) <= ceiling + 1.0,
        "{allowed} tokens > {ceiling}"
    );
    assert!(
        allowed >= 8,
        "the bucket refills ({allowed} tokens in 0.6 s)"
    );
    let denied = memory.take_token(&bucket, 20.0, 3).await?;
    if !denied.allowed {
        assert!(
            denied.retry_after <= Duration::from_millis(50),
            "{:?}",
            denied.retry_after
        );
    }
    Ok(())
}

#[tokio::test]
async fn behaviour_suite_on_the_redis_cluster() -> anyhow::Result<()> {
    let memory = cluster().await?;
    assert_eq!(memory.backend(), "redis-cluster");
    behaviour_suite(memory).await
}

#[tokio::test]
async fn behaviour_suite_in_process() -> anyhow::Result<()> {
    behaviour_suite(Arc::new(LocalMemory::default())).await
}

#[tokio::test]
async fn a_message_published_on_one_node_reaches_a_subscriber_on_another() -> anyhow::Result<()> {
    let publisher = RedisMemory::connect("redis://127.0.0.1:7001").await?;
    let subscriber = RedisMemory::connect("redis://127.0.0.1:7002").await?;
    assert_eq!(
        publisher.backend(),
        "redis",
        "plain connections to single nodes"
    );
    let channel = swarm_memory::layout::MEMORY_SYNC.to_string();
    let mut sub = subscriber.subscribe(std::slice::from_ref(&channel)).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let marker = unique("cross-node");
    publisher.publish(&channel, marker.as_bytes()).await?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (c, payload) = tokio::time::timeout_at(deadline.into(), sub.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("subscription ended"))?;
        if payload == marker.as_bytes() {
            assert_eq!(c, channel);
            return Ok(());
        }
    }
}

fn detection(i: usize, project: usize, source: usize) -> Finding {
    Finding::Detection(Detection {
        id: format!("det-{i}"),
        document_id: format!("doc-{i}"),
        source_id: format!("source-{source}"),
        source_kind: "rss".into(),
        url: format!("https://news.example.test/{i}"),
        project: format!("Project {project}"),
        symbol: Some(format!("P{project}")),
        status: Status::Announced,
        event_date: Some("2027-03-01".into()),
        date_precision: "day".into(),
        confidence: 0.6,
        snippet: format!("Project {project} announces its token generation event"),
        watchlist: false,
        observed_unix_ms: 1_800_000_000_000 + i as i64,
        fingerprint: None,
        duplicate_of: None,
        status_only: false,
        language: None,
    })
}

#[tokio::test]
async fn a_consumer_killed_mid_batch_loses_nothing_and_applies_each_finding_once()
-> anyhow::Result<()> {
    let memory = cluster().await?;
    let db = TestDb::create().await?;
    let stream = format!("swarm:memory:{{{}}}:stream", unique("kill"));
    let (projects, sources) = (30, 10);
    memory
        .create_group(&stream, swarm_memory::layout::COORDINATOR_GROUP)
        .await?;
    for i in 0..projects * sources {
        let env = Envelope::new("test", detection(i, i % projects, i / projects));
        memory.append(&stream, &env.to_bytes(), 100_000).await?;
    }
    // a malformed entry must be set aside, not lost and not blocking
    memory.append(&stream, b"\xff not json", 100_000).await?;

    let mut first = CoordinatorProc::start(&redis_cluster_url(), &db.url, &stream, "first", 1_000)?;
    let mut conn = db.connect().await?;
    let evidence = || async {
        let mut c = db.connect().await.ok()?;
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM evidence")
            .fetch_one(&mut c)
            .await
            .ok()
    };
    wait_until(
        Duration::from_secs(30),
        "the first consumer to make progress",
        || async { evidence().await.filter(|n| *n >= 20) },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}\n{}", first.log_text()))?;
    first.kill().await;
    let at_kill = evidence().await.unwrap_or(0);
    let pending = memory
        .pending(&stream, swarm_memory::layout::COORDINATOR_GROUP)
        .await?;
    assert!(
        pending > 0,
        "killed mid-batch: some findings were read and not acknowledged ({at_kill} applied)"
    );

    let second = CoordinatorProc::start(&redis_cluster_url(), &db.url, &stream, "second", 500)?;
    wait_until(
        Duration::from_secs(60),
        "every finding to be applied",
        || async {
            evidence()
                .await
                .filter(|n| *n == (projects * sources) as i64)
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}\n{}", second.log_text()))?;
    wait_until(Duration::from_secs(20), "nothing pending", || async {
        let p = memory
            .pending(&stream, swarm_memory::layout::COORDINATOR_GROUP)
            .await
            .ok()?;
        (p == 0).then_some(())
    })
    .await?;
    let rows: Vec<(i32, i32, f64)> =
        sqlx::query_as("SELECT corroboration, version, confidence FROM tge_events ORDER BY id")
            .fetch_all(&mut conn)
            .await?;
    assert_eq!(rows.len(), projects);
    for (corroboration, version, confidence) in rows {
        assert_eq!(corroboration, sources as i32);
        assert_eq!(
            version, sources as i32,
            "each finding changed its event exactly once"
        );
        let expected = 1.0 - 0.4f64.powi(sources as i32);
        assert!(
            (confidence - expected).abs() < 1e-9,
            "noisy-or of 10 sources at 0.6: {confidence}"
        );
    }
    let dead = memory.stream_len(&format!("{stream}:dead")).await?;
    // kept aside at least once (twice if the killed consumer set it aside
    // but died before acknowledging it)
    assert!(
        (1..=2).contains(&dead),
        "the malformed entry was kept aside ({dead})"
    );
    drop(conn);
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn a_restarted_master_loses_no_acknowledged_finding() -> anyhow::Result<()> {
    // a cluster of its own: restarting a node must not disturb other tests
    let ports = "7101 7102 7103";
    let env = [
        ("REDIS_PORTS", ports),
        ("REDIS_CLUSTER_DIR", "/tmp/swarm-restart-cluster"),
    ];
    let script = infra_script("redis-cluster.sh");
    let status = tokio::process::Command::new(&script)
        .arg("start")
        .envs(env)
        .status()
        .await?;
    anyhow::ensure!(status.success(), "cannot start the restart-test cluster");
    let url = "redis-cluster://127.0.0.1:7101?node=127.0.0.1:7102&node=127.0.0.1:7103";
    let memory = Arc::new(RedisMemory::connect(url).await?);
    let stream = format!("swarm:memory:{{{}}}:stream", unique("restart"));
    // the node that owns the stream's slot
    let slot_owner = owner_port(&stream).await?;

    let writer = {
        let (memory, stream) = (memory.clone(), stream.clone());
        tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut errors = 0;
            for i in 0..1_500 {
                let payload = format!("finding-{i}");
                loop {
                    match memory.append(&stream, payload.as_bytes(), 1_000_000).await {
                        Ok(_) => {
                            acked.push(payload);
                            break;
                        }
                        Err(_) => {
                            errors += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            (acked, errors)
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = tokio::process::Command::new(&script)
        .args(["restart-node", &slot_owner.to_string()])
        .envs(env)
        .status()
        .await?;
    anyhow::ensure!(status.success(), "restart failed");
    let (acked, errors) = tokio::time::timeout(Duration::from_secs(90), writer).await??;
    assert_eq!(acked.len(), 1_500);
    let stored: HashSet<Vec<u8>> = memory
        .recent(&stream, 1_000_000)
        .await?
        .into_iter()
        .map(|d| d.payload)
        .collect();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|p| !stored.contains(p.as_bytes()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged findings lost (write errors during the restart: {errors})",
        lost.len()
    );
    Ok(())
}

async fn owner_port(key: &str) -> anyhow::Result<u16> {
    let out = tokio::process::Command::new("redis-cli")
        .args(["-p", "7101", "cluster", "keyslot", key])
        .output()
        .await?;
    let slot: u32 = String::from_utf8_lossy(&out.stdout).trim().parse()?;
    let out = tokio::process::Command::new("redis-cli")
        .args(["-p", "7101", "cluster", "shards"])
        .output()
        .await?;
    // `cluster shards` prints, per shard: slots (start end pairs) then nodes with their ports
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i] == "slots" {
            let mut ranges = Vec::new();
            let mut j = i + 1;
            while j + 1 < lines.len()
                && lines[j].parse::<u32>().is_ok()
                && lines[j + 1].parse::<u32>().is_ok()
            {
                ranges.push((lines[j].parse::<u32>()?, lines[j + 1].parse::<u32>()?));
                j += 2;
            }
            if ranges.iter().any(|(a, b)| (*a..=*b).contains(&slot)) {
                let port_line = lines[j..]
                    .iter()
                    .position(|l| *l == "port")
                    .map(|p| j + p + 1);
                if let Some(port) = port_line
                    .and_then(|k| lines.get(k))
                    .and_then(|p| p.parse().ok())
                {
                    return Ok(port);
                }
            }
            i = j;
        } else {
            i += 1;
        }
    }
    anyhow::bail!("no owner for slot {slot} in:\n{text}")
}

#[tokio::test]
async fn two_processes_sharing_a_bucket_never_exceed_its_rate() -> anyhow::Result<()> {
    let key = swarm_memory::layout::bucket_key(&unique("host"));
    let (rate, burst, each) = (20.0, 2u32, 25u32);
    let run = || {
        tokio::process::Command::new(swarm_tests::bin("memory-coordinator"))
            .args([
                "--redis-url",
                &redis_cluster_url(),
                "take-tokens",
                "--key",
                &key,
            ])
            .args([
                "--rate",
                &rate.to_string(),
                "--burst",
                &burst.to_string(),
                "--count",
                &each.to_string(),
            ])
            .env("RUST_LOG", "warn")
            .output()
    };
    let (a, b) = tokio::join!(run(), run());
    let mut times: Vec<i64> = Vec::new();
    for out in [a?, b?] {
        anyhow::ensure!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        times.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.trim().parse::<i64>().ok()),
        );
    }
    times.sort_unstable();
    assert_eq!(times.len(), 2 * each as usize);
    // in every window, grants <= burst + rate × window (+1 for the window edge)
    for (i, start) in times.iter().enumerate() {
        for (j, end) in times.iter().enumerate().skip(i) {
            let window = (end - start) as f64 / 1000.0;
            let granted = (j - i + 1) as f64;
            assert!(
                granted <= f64::from(burst) + rate * window + 1.0,
                "{granted} tokens in {window:.3} s exceed rate {rate}/s with burst {burst}"
            );
        }
    }
    let span = (times[times.len() - 1] - times[0]) as f64 / 1000.0;
    assert!(
        span >= (2.0 * f64::from(each) - f64::from(burst) - 1.0) / rate,
        "took {span:.2} s"
    );
    Ok(())
}

#[tokio::test]
async fn three_reports_become_one_event_announced_on_memory_sync() -> anyhow::Result<()> {
    let memory = cluster().await?;
    let db = TestDb::create().await?;
    let stream = format!("swarm:memory:{{{}}}:stream", unique("notice"));
    let mut notices = memory
        .subscribe(&[swarm_memory::layout::MEMORY_SYNC.to_string()])
        .await?;
    let coordinator =
        CoordinatorProc::start(&redis_cluster_url(), &db.url, &stream, "solo", 30_000)?;
    let project = unique("Nova");
    tokio::time::sleep(Duration::from_millis(300)).await;
    for source in 0..3 {
        let Finding::Detection(mut d) = detection(source, 0, source) else {
            unreachable!()
        };
        d.id = format!("{project}-{source}");
        d.project = project.clone();
        d.symbol = Some("$nova".into());
        d.confidence = 0.5;
        let env = Envelope::new("test", Finding::Detection(d.clone()));
        memory.append(&stream, &env.to_bytes(), 100_000).await?;
        // a redelivered copy of the same report changes nothing
        memory.append(&stream, &env.to_bytes(), 100_000).await?;
    }
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let (_, payload) = tokio::time::timeout(Duration::from_secs(20), notices.recv())
            .await
            .map_err(|_| {
                anyhow::anyhow!("no notice; coordinator log:\n{}", coordinator.log_text())
            })?
            .ok_or_else(|| anyhow::anyhow!("subscription ended"))?;
        let env: Envelope<serde_json::Value> =
            Envelope::from_bytes(&payload).map_err(anyhow::Error::msg)?;
        if env.body["project"] == project.as_str() {
            seen.push(env.body);
        }
    }
    assert_eq!(seen[0]["type"], "event_created");
    assert_eq!(seen[1]["type"], "event_updated");
    assert_eq!(seen[2]["version"], 3);
    assert_eq!(seen[2]["corroboration"], 3);
    assert_eq!(seen[2]["symbol"], "NOVA");
    let confidence = seen[2]["confidence"].as_f64().unwrap_or_default();
    assert!(
        (confidence - 0.875).abs() < 1e-9,
        "noisy-or of three 0.5 reports: {confidence}"
    );

    let base = format!("http://127.0.0.1:{}", coordinator.http_port);
    let stats: serde_json::Value = serde_json::from_str(body(
        &swarm_tests::http_get(&format!("{base}/api/v1/memory/stats")).await?,
    ))?;
    assert_eq!(stats["length"], 6);
    assert_eq!(stats["backend"], "redis-cluster");
    let recent: serde_json::Value = serde_json::from_str(body(
        &swarm_tests::http_get(&format!("{base}/api/v1/findings/recent?limit=2")).await?,
    ))?;
    assert_eq!(recent["findings"].as_array().map(Vec::len), Some(2));
    let metrics = swarm_tests::http_get(&format!("{base}/metrics")).await?;
    assert!(
        metrics.contains("swarm_findings_processed_total{outcome=\"unchanged\"} 3"),
        "{metrics}"
    );
    let mut conn = db.connect().await?;
    let history: i64 = sqlx::query_scalar("SELECT count(*) FROM event_history")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(history, 3, "one history row per change");
    drop(conn);
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn behaviour_suite_on_a_standalone_redis() -> anyhow::Result<()> {
    let url = std::env::var("SWARM_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let memory = Arc::new(RedisMemory::connect(&url).await?);
    assert_eq!(memory.backend(), "redis");
    behaviour_suite(memory).await
}

/// The body of an HTTP response.
fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}
