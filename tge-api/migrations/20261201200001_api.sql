-- The query API's own schema: hashed API keys. (The event tables, their
-- change sequence and indexes belong to the tge-events crate.)

CREATE TABLE IF NOT EXISTS api_keys (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    -- 'read' or 'admin' (admin can also read)
    scope text NOT NULL CHECK (scope IN ('read', 'admin')),
    -- SHA-256 of the key; the key itself is shown once and never stored
    key_hash bytea NOT NULL UNIQUE,
    -- first characters of the key, to recognize it in listings
    key_prefix text NOT NULL,
    -- requests per second (NULL: the API's default)
    rate_per_sec double precision,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
