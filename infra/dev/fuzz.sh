#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input with libFuzzer for a bounded time.
# One cargo-fuzz workspace, `fuzz/` (excluded from the root workspace), with
# one target per parser; each asserts its invariants (no panic, bounded
# output, ...):
#   classify      the TGE classifier and its sentence/date/lexicon/attribution
#                 functions (confidence in [0, 1], spans on char boundaries)
#   feeds         RSS 2.0 / Atom / JSON Feed bodies (scraping-specialist parse::feed)
#                 and the text helpers (markup stripping, canonical URLs, times)
#   html          HTML listings with fuzzed CSS selectors, article main text
#   json_mapping  JSON API / WebSocket bodies with fuzzed JSON Pointer mappings,
#                 the X recent-search mapping and helpers
#   query         `GET /api/v1/tges` query strings through the API's list filter
#
#   infra/dev/fuzz.sh [SECONDS_PER_TARGET]   # default 30 (5 targets: 150 s);
#                                            # 0 = build and replay the seeds only
#
# infra/dev/test.sh calls it after the tests (so CI runs it). It installs
# cargo-fuzz if missing (`cargo install cargo-fuzz --locked`), builds every
# target once on the stable toolchain with RUSTC_BOOTSTRAP=1 (cargo fuzz
# passes -Z flags; no nightly is needed), with overflow checks and debug
# assertions on, then for each target replays its committed seeds
# (fuzz/corpus/<target>/) and fuzzes from a scratch copy of them, so the
# seeds never grow. A crash, panic, timeout or out-of-memory input makes it
# exit non-zero (after the other targets ran); the input is kept in
# fuzz/artifacts/<target>/ (ignored by git) and its path printed.
#
# Environment: CARGO_TARGET_DIR (default target/fuzz under the repo),
# FUZZ_TARGETS (space-separated subset), FUZZ_SANITIZER (default none: the
# crates are safe Rust and the failures sought are panics; `address` runs
# under AddressSanitizer, slower), FUZZ_JOBS (parallel fuzzing processes per
# target, default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

secs="${1:-30}"
case "$secs" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac
sanitizer="${FUZZ_SANITIZER:-none}"
jobs="${FUZZ_JOBS:-1}"
targets=(${FUZZ_TARGETS:-classify feeds html json_mapping query})
fuzz_dir="$root/fuzz"
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

flags=(--fuzz-dir "$fuzz_dir" --release --debug-assertions --sanitizer "$sanitizer")
cargo fuzz build "${flags[@]}"
t2=$(now)
echo "fuzz build (all targets): $((t2 - t1)) s"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$CARGO_TARGET_DIR"
failed=()
for target in "${targets[@]}"; do
  ts=$(now)
  mkdir -p "$scratch/$target" "$fuzz_dir/artifacts/$target"
  cp "$fuzz_dir/corpus/$target"/* "$scratch/$target/"
  libfuzzer=(-rss_limit_mb=2048 -max_len=65536 -timeout=25 -print_final_stats=1)
  if [ "$secs" -eq 0 ]; then
    libfuzzer+=(-runs=0)
  else
    libfuzzer+=(-max_total_time="$secs")
  fi
  if [ "$jobs" -gt 1 ]; then
    libfuzzer+=(-fork="$jobs")
  fi
  # libFuzzer's progress lines go to a log (printed in part below); the
  # seeds are replayed first (they are the corpus it starts from)
  log="$CARGO_TARGET_DIR/fuzz-$target.log"
  status=0
  cargo fuzz run "${flags[@]}" "$target" "$scratch/$target" -- "${libfuzzer[@]}" >"$log" 2>&1 || status=$?
  te=$(now)
  echo "fuzz $target: $((te - ts)) s; corpus $(find "$scratch/$target" -type f | wc -l) inputs (seeds $(find "$fuzz_dir/corpus/$target" -type f | wc -l)); log $log"
  grep -E '^#[0-9]+.*(INITED|DONE)' "$log" || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    # the panic message, the input and cargo fuzz's reproduce hints
    grep -vE '^#[0-9]+' "$log" | grep -vE '^ +(at |[0-9]+: )' | tail -n 60 >&2
    echo "FUZZING $target FOUND A FAILURE (exit $status)" >&2
    artifact="$(grep -oE 'Test unit written to [^ ]+' "$log" | sed 's/^Test unit written to //' | tail -n 1 || true)"
    if [ -n "$artifact" ] && [ -f "$artifact" ]; then
      echo "crash artifact: $(realpath "$artifact")" >&2
      if [ "$(wc -c <"$artifact")" -le 4096 ]; then
        echo "artifact (base64): $(base64 -w0 "$artifact")" >&2
      fi
      echo "reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run ${flags[*]} $target $(realpath "$artifact")" >&2
    else
      echo "no artifact path in the log ($log)" >&2
    fi
  fi
done
echo "fuzz: $(( $(now) - t2 )) s for ${#targets[@]} targets (${secs} s each)"
if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz failures: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no failure"
