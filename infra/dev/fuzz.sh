#!/usr/bin/env bash
# Fuzzes the TGE classifier (agents/keyword-precision) with libFuzzer for a
# bounded time: the target `classify` (agents/keyword-precision/fuzz) feeds
# arbitrary bytes as title, body and publish time to `classify` and to the
# public sentence splitter, date finder, lexicon and attribution functions,
# and checks their invariants (no panic, confidence in [0, 1], evidence
# spans on char boundaries of the normalized text, ...).
#
#   infra/dev/fuzz.sh [SECONDS]     # default 60; 0 = build and replay the seeds only
#
# infra/dev/test.sh calls it after the tests (so CI runs it). It installs
# cargo-fuzz if missing (`cargo install cargo-fuzz --locked`), builds on the
# stable toolchain with RUSTC_BOOTSTRAP=1 (cargo fuzz passes -Z flags; no
# nightly is needed), with overflow checks and debug assertions on, and runs
# on a scratch copy of the committed seeds (fuzz/corpus/classify), so the
# seeds never grow. A crash, panic, timeout or out-of-memory input makes it
# exit non-zero; the input is kept in fuzz/artifacts/classify/ (ignored by
# git) and its path printed.
#
# Environment: CARGO_TARGET_DIR (default target/fuzz under the repo),
# FUZZ_SANITIZER (default none: the crate is safe Rust and the failures
# sought are panics; `address` runs under AddressSanitizer, slower),
# FUZZ_JOBS (parallel fuzzing processes, default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

secs="${1:-60}"
case "$secs" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
sanitizer="${FUZZ_SANITIZER:-none}"
jobs="${FUZZ_JOBS:-1}"
crate="$root/agents/keyword-precision"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/fuzz}"
export RUSTC_BOOTSTRAP=1

now() { date +%s; }

t0=$(now)
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
t1=$(now)
echo "cargo-fuzz: $(cargo fuzz --version) ($((t1 - t0)) s)"

cd "$crate"
flags=(--release --debug-assertions --sanitizer "$sanitizer")
cargo fuzz build "${flags[@]}" classify
t2=$(now)
echo "fuzz build: $((t2 - t1)) s"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/corpus" fuzz/artifacts/classify
cp fuzz/corpus/classify/* "$scratch/corpus/"

libfuzzer=(-rss_limit_mb=2048 -max_len=65536 -timeout=25 -print_final_stats=1)
if [ "$secs" -eq 0 ]; then
  libfuzzer+=(-runs=0)
else
  libfuzzer+=(-max_total_time="$secs")
fi
if [ "$jobs" -gt 1 ]; then
  libfuzzer+=(-fork="$jobs")
fi

# libFuzzer's progress lines go to a log (printed in part below)
log="$CARGO_TARGET_DIR/fuzz-classify.log"
mkdir -p "$CARGO_TARGET_DIR"
status=0
cargo fuzz run "${flags[@]}" classify "$scratch/corpus" -- "${libfuzzer[@]}" >"$log" 2>&1 || status=$?
t3=$(now)
echo "fuzz run: $((t3 - t2)) s; corpus $(find "$scratch/corpus" -type f | wc -l) inputs (seeds $(find fuzz/corpus/classify -type f | wc -l)); log $log"
grep -E '^#[0-9]+.*(INITED|DONE)' "$log" || true
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true

if [ "$status" -ne 0 ]; then
  # the panic message, the input and cargo fuzz's reproduce hints
  grep -vE '^#[0-9]+' "$log" | grep -vE '^ +(at |[0-9]+: )' | tail -n 60 >&2
  echo "FUZZING FOUND A FAILURE (exit $status)" >&2
  artifact="$(grep -oE 'Test unit written to [^ ]+' "$log" | sed 's/^Test unit written to //' | tail -n 1 || true)"
  if [ -n "$artifact" ] && [ -f "$artifact" ]; then
    echo "crash artifact: $(realpath "$artifact")" >&2
    if [ "$(wc -c <"$artifact")" -le 4096 ]; then
      echo "artifact (base64): $(base64 -w0 "$artifact")" >&2
    fi
    echo "reproduce: (cd agents/keyword-precision && RUSTC_BOOTSTRAP=1 cargo fuzz run ${flags[*]} classify $(realpath "$artifact"))" >&2
  else
    echo "no artifact path in the log ($log)" >&2
  fi
  exit 1
fi
echo "fuzz: no failure in ${secs} s"
