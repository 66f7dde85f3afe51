-- The queen's durable queue. One row per live or dead task; completed and
-- cancelled tasks are deleted (their recent history is kept in memory).
CREATE TABLE IF NOT EXISTS queen_meta (
    id smallint PRIMARY KEY,
    epoch bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS tasks (
    id bigint PRIMARY KEY,
    kind smallint NOT NULL,
    priority smallint NOT NULL,
    -- 0 = pending (ready, scheduled or leased), 1 = dead letter
    state smallint NOT NULL,
    attempts integer NOT NULL,
    max_attempts integer NOT NULL,
    run_at_ms bigint NOT NULL,
    created_ms bigint NOT NULL,
    dedup_key text,
    -- protobuf-encoded swarm.v1.TaskSpec
    spec bytea NOT NULL,
    last_error text
) WITH (fillfactor = 80);

CREATE TABLE IF NOT EXISTS paused_kinds (
    kind smallint PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS schedules (
    name text PRIMARY KEY,
    -- protobuf-encoded swarm.v1.TaskSpec
    spec bytea NOT NULL,
    interval_ms bigint NOT NULL,
    paused boolean NOT NULL,
    next_run_ms bigint NOT NULL
);
