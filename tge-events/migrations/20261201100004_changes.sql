-- A global change sequence on tge_events (the query API's SSE ids,
-- Last-Event-ID resume and cache refresh), kept by a trigger so that every
-- writer (the synthesis, a manual fix) keeps it right; and the start day of
-- the event period (date filters and sort), written by the synthesis from
-- the one Rust rule (tge_events::calendar::event_start).

CREATE SEQUENCE IF NOT EXISTS tge_events_change_seq;
ALTER TABLE tge_events ADD COLUMN IF NOT EXISTS change_seq bigint;
ALTER TABLE tge_events ADD COLUMN IF NOT EXISTS event_start date;

CREATE OR REPLACE FUNCTION tge_events_track_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := nextval('tge_events_change_seq');
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS tge_events_track_change ON tge_events;
CREATE TRIGGER tge_events_track_change BEFORE INSERT OR UPDATE ON tge_events
    FOR EACH ROW EXECUTE FUNCTION tge_events_track_change();

-- every filter and sort of GET /api/v1/tges has an index (keyset pagination
-- on (sort key, id))
CREATE INDEX IF NOT EXISTS tge_events_change_seq_idx ON tge_events (change_seq);
CREATE INDEX IF NOT EXISTS tge_events_event_start ON tge_events ((coalesce(event_start, DATE '9999-12-31')), id);
CREATE INDEX IF NOT EXISTS tge_events_confidence_id ON tge_events (confidence DESC, id DESC);
CREATE INDEX IF NOT EXISTS tge_events_watchlist ON tge_events (last_seen DESC, id DESC) WHERE watchlist;
CREATE INDEX IF NOT EXISTS tge_events_project_key ON tge_events (project_key, last_seen DESC);
