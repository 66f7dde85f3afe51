#!/usr/bin/env bash
# Queue benchmark: release binaries, durable queen on PostgreSQL, five agents.
# Usage: infra/dev/bench.sh   (BENCH_TASKS=100000 BENCH_CAPACITY=256 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
infra/dev/postgres.sh start >/dev/null
cargo build --release --workspace --bins --locked
SWARM_BIN_DIR="$PWD/target/release" cargo bench -p swarm-tests --bench queue_throughput --locked
