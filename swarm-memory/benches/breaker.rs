//! Shared circuit-breaker benchmark on the 3-master Redis Cluster
//! (127.0.0.1:7001-7003, `SWARM_TEST_REDIS_CLUSTER` to override):
//!
//! 1. one caller, one fetch's worth of breaker traffic at a time
//!    (`admit` + `record` on its own source): round trips and latency —
//!    the overhead a scraper pays per fetch;
//! 2. `BENCH_REPLICAS` (default 8) concurrent callers recording failures on
//!    ONE source (compare-and-set contention): outcomes per second, and a
//!    check that no outcome was lost (the stored failure streak equals the
//!    number recorded).
//!
//! Run: `cargo bench -p memory-coordinator --bench breaker`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use swarm_memory::reliability::{BreakerPolicy, SharedBreaker};
use swarm_memory::{Memory, RedisMemory};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("SWARM_TEST_REDIS_CLUSTER").unwrap_or_else(|_| {
        "redis-cluster://127.0.0.1:7001?node=127.0.0.1:7002&node=127.0.0.1:7003".into()
    });
    let memory: Arc<dyn Memory> = Arc::new(RedisMemory::connect(&url).await?);
    let tag = format!("{:08x}", rand::random::<u32>());
    let policy = BreakerPolicy {
        consecutive_failures: u32::MAX,
        min_calls: u32::MAX,
        ..BreakerPolicy::default()
    };
    let breaker = SharedBreaker::new(memory.clone(), policy);

    let rounds = env_or("BENCH_ROUNDS", 5_000);
    let mut latencies = Vec::with_capacity(rounds as usize);
    let started = Instant::now();
    for i in 0..rounds {
        let source = format!("bench-{tag}-{}", i % 512);
        let t = Instant::now();
        breaker.admit(&source, swarm_common::time::now_ms()).await?;
        breaker
            .record(&source, i % 10 != 0, swarm_common::time::now_ms())
            .await?;
        latencies.push(t.elapsed());
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    println!(
        "admit+record, one caller: {:.0} fetches/s, p50 {:.3} ms, p99 {:.3} ms ({rounds} rounds)",
        rounds as f64 / secs,
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99)
    );

    let replicas = env_or("BENCH_REPLICAS", 8);
    let per = env_or("BENCH_OUTCOMES", 500);
    let source = format!("bench-{tag}-contended");
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..replicas {
        let breaker = breaker.clone();
        let source = source.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..per {
                breaker
                    .record(&source, false, swarm_common::time::now_ms())
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let state = breaker.state(&source).await?;
    println!(
        "record on one source, {replicas} concurrent callers: {:.0} outcomes/s; streak stored {} of {} recorded",
        (replicas * per) as f64 / secs,
        state.consecutive_failures,
        replicas * per
    );
    anyhow::ensure!(
        u64::from(state.consecutive_failures) == replicas * per,
        "outcomes lost under contention"
    );
    Ok(())
}
