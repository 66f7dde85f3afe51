#!/usr/bin/env bash
# The project's test command (the README's second command; `.ci/run` calls it).
# Installs and starts what the tests need, idempotently, then runs every test:
#   - PostgreSQL 15 on 127.0.0.1:5432 (database tge), Debian package if missing
#   - a 3-master Redis Cluster on 127.0.0.1:7001-7003, Debian package if missing
#     (the restart test starts a second one on 7101-7103 for itself)
#   - a standalone Redis on 127.0.0.1:6379
#   - an OTLP collector (rotel, from PyPI) on 127.0.0.1:4317, logging spans to
#     /tmp/otlp-sink/spans.log (the tracing test reads it)
#   - HAProxy (the API tests run infra/haproxy/haproxy.cfg) and wrk (the API
#     benchmark), Debian packages, if missing
#   - protoc comes vendored (protoc-bin-vendored); nothing to install
#   - schemathesis (PyPI, pinned) in /opt/swarm-venv, by infra/dev/schemathesis.sh
# Then: formatting check, clippy (warnings are errors), build of every binary
# (the end-to-end tests start them as real processes), all tests, then 60 s of
# fuzzing of every fuzz target, 30 s each (infra/dev/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf '\n== %s\n' "$*"; }

say "services"
infra/dev/postgres.sh start
infra/dev/redis-cluster.sh start
# a standalone Redis on 6379 (the memory backend must work without a cluster too)
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 ||
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
    --logfile /tmp/redis-6379.log
infra/dev/otlp-sink.sh start
missing=""
command -v haproxy >/dev/null || missing="$missing haproxy"
command -v wrk >/dev/null || missing="$missing wrk"
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq $missing >/dev/null
fi

say "sweeping databases left by interrupted test runs"
psql -X -q -h 127.0.0.1 -U postgres -d postgres -tA \
  -c "SELECT datname FROM pg_database WHERE datname LIKE 'swarm_test_%'" |
  while read -r db; do
    [ -n "$db" ] && psql -X -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
  done

command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }

say "format"
cargo fmt --all -- --check

say "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "build binaries"
cargo build --workspace --bins --locked

say "tests"
export SWARM_BIN_DIR="$PWD/target/debug"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  # nextest does not run doc tests
  cargo test --workspace --doc --locked
else
  cargo test --workspace --locked --no-fail-fast
fi

# ---------------------------------------------------------------------------
# schemathesis: the query API against its own OpenAPI document
# (infra/dev/schemathesis.sh: pinned schemathesis in /opt/swarm-venv, a live
# `queen --api-only` from target/debug with its own fixtures and a read key;
# no 5xx, no response outside the document; 20 examples per operation, at
# most 90 s of generation)
say "schemathesis (query API, ~2 min)"
infra/dev/schemathesis.sh 20 90
# ---------------------------------------------------------------------------

# bounded fuzzing of the parsers (fuzz/: its own workspace and target dir)
say "fuzz (every target, 30 s each)"
infra/dev/fuzz.sh 30
say "all tests passed"
