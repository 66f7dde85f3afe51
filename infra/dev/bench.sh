#!/usr/bin/env bash
# Benchmarks (release builds).
# Usage: infra/dev/bench.sh [queue|memory|all]   (default all)
#   queue  — durable queen on PostgreSQL, five agents (BENCH_TASKS=100000 BENCH_CAPACITY=256)
#   memory — mixed ops on the 3-master Redis Cluster, synthesis into PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/../.."
which="${1:-all}"
infra/dev/postgres.sh start >/dev/null
infra/dev/redis-cluster.sh start >/dev/null
cargo build --release --workspace --bins --locked
export SWARM_BIN_DIR="$PWD/target/release"
if [ "$which" = queue ] || [ "$which" = all ]; then
  cargo bench -p swarm-tests --bench queue_throughput --locked
fi
if [ "$which" = memory ] || [ "$which" = all ]; then
  cargo bench -p swarm-tests --bench memory_ops --locked
fi
