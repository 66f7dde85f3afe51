//! Memory benchmark on the 3-master Redis Cluster (127.0.0.1:7001-7003):
//!
//! 1. mixed operations — a quarter each of GET, SET (with TTL), XADD (capped
//!    stream) and SPUBLISH, over keys spread across all slots — sent in
//!    pipelines of `BENCH_PIPELINE` (default 64) by `BENCH_TASKS` (default 16)
//!    concurrent tasks for `BENCH_SECS` (default 3) seconds;
//! 2. the same with pipelines of 1 (each command awaited; fred still
//!    multiplexes the concurrent tasks on one connection per node);
//! 3. synthesis — `BENCH_FINDINGS` (default 10,000) detections over 500
//!    events queued on a stream, drained by a coordinator into PostgreSQL.
//!
//! Run: `infra/dev/bench.sh memory` (release build).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fred::prelude::*;
use fred::types::streams::XCap;
use memory_coordinator::service;
use memory_coordinator::synth::Synthesizer;
use swarm_memory::{Memory, RedisMemory};
use swarm_tests::{TestDb, redis_cluster_url};
use swarm_types::finding::{Detection, Status};
use swarm_types::{Envelope, Finding};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn mixed(client: Client, tasks: u64, pipeline: u64, secs: u64) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let (client, done) = (client.clone(), done.clone());
        handles.push(tokio::spawn(async move {
            let mut i: u64 = t * 1_000_003;
            let payload = vec![b'x'; 64];
            while Instant::now() < deadline {
                if pipeline <= 1 {
                    let k = format!("swarm:memory:{{bench:{}}}:k", i % 4096);
                    match i % 4 {
                        0 => drop(client.get::<Option<Vec<u8>>, _>(&k).await?),
                        1 => {
                            client
                                .set::<(), _, _>(
                                    &k,
                                    payload.clone(),
                                    Some(Expiration::EX(60)),
                                    None,
                                    false,
                                )
                                .await?;
                        }
                        2 => {
                            let s = format!("swarm:memory:{{bench:{}}}:stream", i % 256);
                            let cap = XCap::try_from(("MAXLEN", "~", 1000))?;
                            let _: String = client
                                .xadd(&s, false, cap, "*", vec![("e", payload.clone())])
                                .await?;
                        }
                        _ => drop(
                            client
                                .spublish::<i64, _, _>(
                                    format!("swarm:channels:bench-{}", i % 64),
                                    payload.clone(),
                                )
                                .await?,
                        ),
                    }
                    i += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                // one pipeline per node-agnostic batch: fred routes each command to its slot owner
                let pipe = client.pipeline();
                for _ in 0..pipeline {
                    let k = format!("swarm:memory:{{bench:{}}}:k", i % 4096);
                    match i % 4 {
                        0 => pipe.get::<(), _>(&k).await?,
                        1 => {
                            pipe.set::<(), _, _>(
                                &k,
                                payload.clone(),
                                Some(Expiration::EX(60)),
                                None,
                                false,
                            )
                            .await?;
                        }
                        2 => {
                            let s = format!("swarm:memory:{{bench:{}}}:stream", i % 256);
                            let cap = XCap::try_from(("MAXLEN", "~", 1000))?;
                            pipe.xadd::<(), _, _, _, _>(
                                &s,
                                false,
                                cap,
                                "*",
                                vec![("e", payload.clone())],
                            )
                            .await?;
                        }
                        _ => {
                            pipe.spublish::<(), _, _>(
                                format!("swarm:channels:bench-{}", i % 64),
                                payload.clone(),
                            )
                            .await?;
                        }
                    }
                    i += 1;
                }
                let _: Vec<Value> = pipe.all().await?;
                done.fetch_add(pipeline, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

fn detection(i: usize) -> Finding {
    Finding::Detection(Detection {
        id: format!("bench-{i}"),
        document_id: format!("doc-{i}"),
        source_id: format!("source-{}", i % 10),
        source_kind: "rss".into(),
        url: format!("https://news.example.test/{i}"),
        project: format!("Bench Project {}", i % 500),
        symbol: Some(format!("B{}", i % 500)),
        status: Status::Announced,
        event_date: Some("2027-05-01".into()),
        date_precision: "day".into(),
        confidence: 0.7,
        snippet: "announces its token generation event".into(),
        watchlist: false,
        observed_unix_ms: 1_800_000_000_000 + i as i64,
        fingerprint: None,
        duplicate_of: None,
        status_only: false,
        language: None,
    })
}

/// Findings/s through a coordinator (in process, on the cluster): `n`
/// detections are queued on a fresh stream, then the coordinator drains it
/// into PostgreSQL.
async fn synthesis(n: usize) -> anyhow::Result<f64> {
    let db = TestDb::create().await?;
    let synth = Synthesizer::connect(&db.url).await?;
    let memory: Arc<dyn Memory> = Arc::new(RedisMemory::connect(&redis_cluster_url()).await?);
    let stream = format!(
        "swarm:memory:{{bench-synth-{:08x}}}:stream",
        rand::random::<u32>()
    );
    memory
        .create_group(&stream, swarm_memory::layout::COORDINATOR_GROUP)
        .await?;
    let mut appends = tokio::task::JoinSet::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(n.div_ceil(8)) {
        let (memory, stream, chunk) = (memory.clone(), stream.clone(), chunk.to_vec());
        appends.spawn(async move {
            for i in chunk {
                let env = Envelope::new("bench", detection(i));
                memory.append(&stream, &env.to_bytes(), 1_000_000).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = appends.join_next().await {
        r??;
    }
    let options = service::Options {
        layout: swarm_memory::Layout {
            findings_stream: stream.clone(),
            ..Default::default()
        },
        consumer: "bench".into(),
        http_addr: ([127, 0, 0, 1], 0).into(),
        ..service::Options::default()
    };
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let coordinator = tokio::spawn(service::run(
        memory.clone(),
        synth.clone(),
        options,
        async move {
            let _ = stop_rx.await;
        },
    ));
    loop {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM evidence")
            .fetch_one(
                synth
                    .pool()
                    .ok_or_else(|| anyhow::anyhow!("postgres synthesizer"))?,
            )
            .await?;
        if count as usize >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let _ = stop.send(());
    coordinator.await??;
    drop(synth);
    db.drop_db().await;
    Ok(rate)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (tasks, pipeline, secs) = (
        env_or("BENCH_TASKS", 16),
        env_or("BENCH_PIPELINE", 64),
        env_or("BENCH_SECS", 3),
    );
    let memory = RedisMemory::connect(&redis_cluster_url()).await?;
    let client = memory.client().clone();
    let piped = mixed(client.clone(), tasks, pipeline, secs).await?;
    let single = mixed(client.clone(), tasks * 8, 1, secs).await?;
    println!(
        "memory_ops: 3-master Redis Cluster on loopback, mixed GET/SET/XADD/SPUBLISH, 64-byte values"
    );
    println!("  pipelined ({tasks} tasks x pipeline {pipeline})   {piped:>10.0} ops/s");
    println!(
        "  unpipelined ({} concurrent tasks, 1 command each) {single:>10.0} ops/s",
        tasks * 8
    );
    let n = env_or("BENCH_FINDINGS", 10_000) as usize;
    let synthesized = synthesis(n).await?;
    println!(
        "  findings -> events through the coordinator ({n} detections, 500 events): {synthesized:.0} findings/s"
    );
    Ok(())
}
