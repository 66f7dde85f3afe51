-- The language of the document behind each report (ISO 639-1, e.g. 'en',
-- 'zh'); NULL when unknown or reported before languages were carried.
ALTER TABLE evidence ADD COLUMN IF NOT EXISTS language text;
