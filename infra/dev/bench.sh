#!/usr/bin/env bash
# Benchmarks (release builds).
# Usage: infra/dev/bench.sh [queue|memory|api|all]   (default all)
#   queue  — durable queen on PostgreSQL, five agents (BENCH_TASKS=100000 BENCH_CAPACITY=256)
#   memory — mixed ops on the 3-master Redis Cluster, synthesis into PostgreSQL
#   api    — query API: 100k events, two replicas behind HAProxy, wrk (infra/dev/bench-api.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
which="${1:-all}"
infra/dev/postgres.sh start >/dev/null
infra/dev/redis-cluster.sh start >/dev/null
if [ "$which" = api ] || [ "$which" = all ]; then
  for tool in haproxy wrk; do
    command -v $tool >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq $tool >/dev/null; }
  done
fi
if [ "$which" = api ]; then
  cargo build --release --locked -p queen --bin queen
  exec infra/dev/bench-api.sh
fi
cargo build --release --workspace --bins --locked
export SWARM_BIN_DIR="$PWD/target/release"
if [ "$which" = queue ] || [ "$which" = all ]; then
  cargo bench -p swarm-tests --bench queue_throughput --locked
fi
if [ "$which" = memory ] || [ "$which" = all ]; then
  cargo bench -p swarm-tests --bench memory_ops --locked
fi
if [ "$which" = all ]; then
  infra/dev/bench-api.sh
fi
