-- Findings synthesized into TGE events. Written by the memory coordinator;
-- read by the query API (filters: project exact/prefix, symbol, status,
-- event date, first/last seen, confidence, source kind, watchlist).

CREATE TABLE IF NOT EXISTS documents (
    id text PRIMARY KEY,
    source_id text NOT NULL,
    source_kind text NOT NULL,
    url text NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    published_at timestamptz,
    fetched_at timestamptz NOT NULL,
    language text,
    first_seen timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS documents_source ON documents (source_id, fetched_at DESC);

CREATE TABLE IF NOT EXISTS candidates (
    id text PRIMARY KEY,
    document_id text NOT NULL,
    project text NOT NULL,
    symbol text,
    confidence double precision NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS tge_events (
    id bigserial PRIMARY KEY,
    -- normalized identity: lower-case project, upper-case symbol ('' if none)
    project_key text NOT NULL,
    symbol_key text NOT NULL,
    project text NOT NULL,
    symbol text,
    status text NOT NULL,
    event_date text,
    date_precision text NOT NULL,
    confidence double precision NOT NULL,
    corroboration integer NOT NULL,
    watchlist boolean NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    version integer NOT NULL,
    UNIQUE (project_key, symbol_key)
);
CREATE INDEX IF NOT EXISTS tge_events_project_prefix ON tge_events (project_key text_pattern_ops);
CREATE INDEX IF NOT EXISTS tge_events_symbol ON tge_events (symbol_key);
CREATE INDEX IF NOT EXISTS tge_events_status ON tge_events (status, last_seen DESC);
CREATE INDEX IF NOT EXISTS tge_events_last_seen ON tge_events (last_seen DESC, id DESC);
CREATE INDEX IF NOT EXISTS tge_events_first_seen ON tge_events (first_seen DESC, id DESC);
CREATE INDEX IF NOT EXISTS tge_events_event_date ON tge_events (event_date);
CREATE INDEX IF NOT EXISTS tge_events_confidence ON tge_events (confidence DESC);

CREATE TABLE IF NOT EXISTS evidence (
    -- the detection finding's id: a redelivered finding inserts nothing
    finding_id text PRIMARY KEY,
    event_id bigint NOT NULL REFERENCES tge_events (id) ON DELETE CASCADE,
    document_id text NOT NULL,
    source_id text NOT NULL,
    source_kind text NOT NULL,
    url text NOT NULL,
    snippet text NOT NULL,
    status text NOT NULL,
    confidence double precision NOT NULL,
    observed_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS evidence_event ON evidence (event_id, observed_at);
CREATE INDEX IF NOT EXISTS evidence_source_kind ON evidence (source_kind, event_id);

CREATE TABLE IF NOT EXISTS event_history (
    event_id bigint NOT NULL REFERENCES tge_events (id) ON DELETE CASCADE,
    version integer NOT NULL,
    status text NOT NULL,
    confidence double precision NOT NULL,
    corroboration integer NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (event_id, version)
);
