-- Lifecycle and near-duplicates. Near-duplicate reports (syndicated copies) stay as evidence but do not
-- count as independent corroboration; the history keeps the event date of
-- every version.
ALTER TABLE evidence ADD COLUMN IF NOT EXISTS duplicate_of text;
ALTER TABLE evidence ADD COLUMN IF NOT EXISTS fingerprint bigint;
-- a report that an event is postponed or cancelled: status, not corroboration
ALTER TABLE evidence ADD COLUMN IF NOT EXISTS status_only boolean NOT NULL DEFAULT false;
ALTER TABLE event_history ADD COLUMN IF NOT EXISTS event_date text;

-- The performance optimizer's hot-spot reports (slowest sources and kinds).
CREATE TABLE IF NOT EXISTS hot_spots (
    id text PRIMARY KEY,
    reported_at timestamptz NOT NULL,
    report jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS hot_spots_reported ON hot_spots (reported_at DESC);
