#!/usr/bin/env bash
# Schemathesis (PyPI, pinned) against the OpenAPI document of a live query
# API: `queen --api-only` from target/debug on loopback, over a fresh
# PostgreSQL database with a few events of its own (below), memory `local`,
# and a read key. Fails on any 5xx and on any response that does not match
# the document (status, content type, headers, schema), and on bad inputs
# the API accepts. Every check runs but positive_data_acceptance ("a
# request the schema allows must succeed"): the list's rules have
# cross-parameter parts OpenAPI cannot state (date_to not before
# date_from, a cursor belongs to its sort) and the cursor is opaque, so a
# schema-valid request may rightly be a 400.
#
#   infra/dev/schemathesis.sh [MAX_EXAMPLES (25)] [MAX_SECONDS (90)]
#
# Needs: PostgreSQL on 127.0.0.1:5432 (infra/dev/postgres.sh start), the
# queen binary (cargo build -p queen). Installs schemathesis into
# $SCHEMATHESIS_VENV (default /opt/swarm-venv) once. SCHEMATHESIS_SCOPE=admin
# runs with an admin key (the admin paths answered, not only 403). The stream
# (/api/v1/stream, Server-Sent Events that never end) is left out: the
# e2e tests cover it.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=4.32.5
VENV="${SCHEMATHESIS_VENV:-/opt/swarm-venv}"
EXAMPLES="${1:-25}"
SECONDS_MAX="${2:-90}"
BIN_DIR="${SWARM_BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}"
PG="${SWARM_TEST_PG:-postgres://postgres@127.0.0.1:5432}"
DB=swarm_schemathesis
RUN=/tmp/schemathesis-run; mkdir -p "$RUN"

if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$VERSION"
fi
[ -x "$BIN_DIR/queen" ] || { echo "$BIN_DIR/queen missing: cargo build -p queen" >&2; exit 1; }

psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ops=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
QUEEN__DATABASE_URL="$PG/$DB" QUEEN__API__ADDR="127.0.0.1:$port" QUEEN__METRICS_ADDR="127.0.0.1:$ops" \
  QUEEN__API__MEMORY_URL=local QUEEN__API__REQUEST_TIMEOUT_MS=5000 RUST_LOG=warn \
  "$BIN_DIR/queen" --api-only >"$RUN/api.log" 2>&1 &
api=$!
trap 'kill $api 2>/dev/null || true; wait $api 2>/dev/null || true; psql -X -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 100); do
  curl -sf -m 1 "http://127.0.0.1:$port/ready" >/dev/null && break
  kill -0 $api 2>/dev/null || { cat "$RUN/api.log" >&2; exit 1; }
  sleep 0.2
done

# fixtures: three events with evidence and history, and a read key with a
# rate high enough for the run (the key is made here, stored hashed)
KEY="tge_$(openssl rand -hex 24)"
psql -X -q -v ON_ERROR_STOP=1 -v key="$KEY" -v scope="${SCHEMATHESIS_SCOPE:-read}" "$PG/$DB" <<'SQL'
INSERT INTO api_keys (name, scope, key_hash, key_prefix, rate_per_sec)
VALUES ('schemathesis', :'scope', sha256(convert_to(:'key', 'UTF8')), left(:'key', 12), 100000);
INSERT INTO tge_events (project_key, symbol_key, project, symbol, status, event_date,
    date_precision, confidence, corroboration, watchlist, first_seen, last_seen, version)
VALUES ('brindle works', 'brw', 'Brindle Works', 'BRW', 'scheduled', '2027-05-14', 'day', 0.88, 2, true,
        '2027-01-02 10:00Z', '2027-01-03 09:30Z', 2),
       ('cormorant', '', 'Cormorant', NULL, 'announced', '2027-Q3', 'quarter', 0.41, 1, false,
        '2027-01-04 08:00Z', '2027-01-04 08:00Z', 1),
       ('tessel grid', 'tsg', 'Tessel Grid', 'TSG', 'postponed', NULL, 'unknown', 0.67, 1, false,
        '2027-01-05 12:00Z', '2027-01-06 12:00Z', 3);
INSERT INTO evidence (finding_id, event_id, document_id, source_id, source_kind, url, snippet,
    status, confidence, observed_at, language)
SELECT 'st-' || id, id, 'st-doc-' || id, 'st-feed', 'rss', 'https://feeds.example.test/' || id,
       project || ' sets a date for its token generation event', status, confidence, last_seen, 'en'
FROM tge_events;
SQL

say() { printf '== %s\n' "$*"; }
say "schemathesis $VERSION: $EXAMPLES examples per operation, at most ${SECONDS_MAX}s, http://127.0.0.1:$port"
started=$(date +%s)
set +e
# (from $RUN: schemathesis keeps its example database in ./.schemathesis)
(cd "$RUN" && "$VENV/bin/st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $KEY" \
  --checks all --exclude-checks positive_data_acceptance --exclude-path /api/v1/stream \
  --max-examples "$EXAMPLES" --max-time "$SECONDS_MAX" --seed 1 --workers 2 \
  --request-timeout 10 --no-color \
  --report junit --report-dir "$RUN/report")
code=$?
set -e
say "schemathesis took $(( $(date +%s) - started ))s (exit $code; report in $RUN/report)"
if grep -q 'panicked' "$RUN/api.log"; then cat "$RUN/api.log" >&2; exit 1; fi
exit $code
