-- Near-duplicate reports (syndicated copies) stay as evidence but do not
-- count as independent corroboration; the history keeps the event date of
-- every version.
ALTER TABLE evidence ADD COLUMN IF NOT EXISTS duplicate_of text;
ALTER TABLE event_history ADD COLUMN IF NOT EXISTS event_date text;
