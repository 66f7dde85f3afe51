#!/usr/bin/env bash
# Query API benchmark (called by `infra/dev/bench.sh api`): 100k events
# seeded with generate_series, two release `queen --api-only` replicas behind
# HAProxy (infra/haproxy/haproxy.cfg), load from wrk through HAProxy.
# Prints requests/s and p50/p99 latency per scenario:
#   list-hot     one filtered list query (served from the cache)
#   detail-hot   one event's detail (cache)
#   list-varied  filtered lists with a random project prefix among 100k (mostly PostgreSQL)
#   detail-varied details of random events among the 100k (mostly PostgreSQL)
# Settings: BENCH_EVENTS (100000), BENCH_SECS (10), BENCH_CONNECTIONS (64),
# BENCH_PORT_BASE (18000: API replicas on +80/+81, HAProxy +88, stats +404).
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS="${BENCH_EVENTS:-100000}"; SECS="${BENCH_SECS:-10}"; CONNS="${BENCH_CONNECTIONS:-64}"
BASE="${BENCH_PORT_BASE:-18000}"
DB=swarm_bench_api; PG="postgres://postgres@127.0.0.1:5432"
RUN=/tmp/bench-api; mkdir -p "$RUN"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres "$@"; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

psql_ -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
replica() {  # replica N: API on BASE+80+N, metrics on BASE+1+N
  QUEEN__DATABASE_URL="$PG/$DB" QUEEN__METRICS_ADDR="127.0.0.1:$((BASE + 1 + $1))" \
  QUEEN__API__ADDR="127.0.0.1:$((BASE + 80 + $1))" QUEEN__API__BURST=1000000 \
  QUEEN__API__TRUST_FORWARDED_FOR=true RUST_LOG=warn \
    target/release/queen --api-only >"$RUN/api$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$((BASE + 80 + $1))/ready" >/dev/null && return; sleep 0.1; done
  cat "$RUN/api$1.log" >&2; exit 1
}
replica 0   # applies the migrations

echo "seeding $EVENTS events (+ evidence, history, documents)"
psql_ -d "$DB" <<SQL
INSERT INTO tge_events (project_key, symbol_key, project, symbol, status, event_date, date_precision,
    confidence, corroboration, watchlist, first_seen, last_seen, version)
SELECT lower('Project ' || g), 'P' || g, 'Project ' || g, 'P' || g,
    (ARRAY['announced','scheduled','live','postponed','cancelled'])[1 + g % 5],
    CASE g % 4 WHEN 0 THEN to_char(DATE '2027-01-01' + (g % 700), 'YYYY-MM-DD')
               WHEN 1 THEN to_char(DATE '2027-01-01' + (g % 700), 'YYYY-MM')
               WHEN 2 THEN '2027-Q' || (1 + g % 4) END,
    CASE g % 4 WHEN 0 THEN 'day' WHEN 1 THEN 'month' WHEN 2 THEN 'quarter' ELSE 'unknown' END,
    (g * 7919 % 1000) / 1000.0, 1 + g % 3, g % 50 = 0,
    TIMESTAMPTZ '2026-01-01 00:00Z' + g * INTERVAL '1 minute',
    TIMESTAMPTZ '2026-01-01 00:00Z' + g * INTERVAL '1 minute' + (g % 90) * INTERVAL '1 hour', 1
FROM generate_series(1, $EVENTS) g;
INSERT INTO documents (id, source_id, source_kind, url, title, body, fetched_at)
SELECT 'doc-' || g, 'source-' || (g % 40), (ARRAY['rss','exchange','blog','api'])[1 + g % 4],
    'https://news.example.test/' || g, 'Project ' || g || ' token launch', 'text', now()
FROM generate_series(1, $EVENTS) g;
INSERT INTO evidence (finding_id, event_id, document_id, source_id, source_kind, url, snippet, status, confidence, observed_at)
SELECT 'f-' || e.id, e.id, 'doc-' || e.id, 'source-' || (e.id % 40), (ARRAY['rss','exchange','blog','api'])[1 + e.id % 4],
    'https://news.example.test/' || e.id, e.project || ' announces its token generation event', e.status, e.confidence, e.last_seen
FROM tge_events e;
INSERT INTO event_history (event_id, version, status, confidence, corroboration, changed_at)
SELECT id, 1, status, confidence, corroboration, last_seen FROM tge_events;
ANALYZE;
SQL
KEY="tge_bench$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
psql_ -d "$DB" -c "INSERT INTO api_keys (name, scope, key_hash, key_prefix, rate_per_sec)
  VALUES ('bench', 'read', sha256(convert_to('$KEY', 'UTF8')), left('$KEY', 12), 1e9)"
replica 1

HTTP_BIND="127.0.0.1:$((BASE + 88))" STATS_BIND="127.0.0.1:$((BASE + 404))" \
API_SERVER_1="127.0.0.1:$((BASE + 80))" API_SERVER_2="127.0.0.1:$((BASE + 81))" \
  haproxy -db -f infra/haproxy/haproxy.cfg >"$RUN/haproxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  up=$( (curl -s "http://127.0.0.1:$((BASE + 404))/stats;csv" || true) | awk -F, '$1=="api" && $2 ~ /^api/ && $18=="UP"' | wc -l)
  [ "$up" = 2 ] && break; sleep 0.2; done
URL="http://127.0.0.1:$((BASE + 88))"

cat >"$RUN/list-varied.lua" <<LUA
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/tges?project_prefix=project%20" .. math.random(1, $EVENTS) .. "&min_confidence=0.1&limit=20")
end
LUA
cat >"$RUN/detail-varied.lua" <<LUA
math.randomseed(os.time())
request = function() return wrk.format("GET", "/api/v1/tges/" .. math.random(1, $EVENTS)) end
LUA

run() {  # name path [script]
  local out; out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Authorization: Bearer $KEY" ${3:+-s "$3"} "$URL$2")
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '%-14s %10s req/s   p50 %8s   p99 %8s   non-2xx %s   (%.1fx the 1,000 req/s target)\n' \
    "$1" "$rps" "$p50" "$p99" "${non2xx:-0}" "$(awk -v r="$rps" 'BEGIN {print r / 1000}')"
}
echo "wrk -t2 -c$CONNS -d${SECS}s through HAProxy -> 2 API replicas, $EVENTS events"
run list-hot "/api/v1/tges?status=scheduled&min_confidence=0.8&limit=20"
run detail-hot "/api/v1/tges/4242"
run list-varied "/" "$RUN/list-varied.lua"
run detail-varied "/" "$RUN/detail-varied.lua"
