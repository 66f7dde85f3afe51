-- A global change sequence on tge_events (the query API's SSE ids,
-- Last-Event-ID resume and cache refresh) and the start day of the event
-- period (date filters and sort), both kept by a trigger so that every
-- writer (the synthesis, a manual fix) keeps them right. The period rule is
-- tge_events::calendar::event_start; the behaviour suite checks this SQL
-- form agrees with it.

CREATE SEQUENCE IF NOT EXISTS tge_events_change_seq;
ALTER TABLE tge_events ADD COLUMN IF NOT EXISTS change_seq bigint;
ALTER TABLE tge_events ADD COLUMN IF NOT EXISTS event_start date;

-- '2027-03-01' -> that day, '2027-03' -> its first day, '2027-Q2' -> its
-- first day; anything else (or an impossible date) -> NULL.
CREATE OR REPLACE FUNCTION tge_event_start(d text) RETURNS date
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF d ~ '^\d{4}-\d{2}-\d{2}$' THEN
        RETURN to_date(d, 'YYYY-MM-DD');
    ELSIF d ~ '^\d{4}-\d{2}$' THEN
        RETURN to_date(d || '-01', 'YYYY-MM-DD');
    ELSIF d ~ '^\d{4}-Q[1-4]$' THEN
        RETURN make_date(substr(d, 1, 4)::int, (substr(d, 7, 1)::int - 1) * 3 + 1, 1);
    END IF;
    RETURN NULL;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tge_events_track_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := nextval('tge_events_change_seq');
    NEW.event_start := tge_event_start(NEW.event_date);
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
