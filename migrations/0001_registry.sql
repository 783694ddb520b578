-- The project registry, version 1 (issue #16): projects, every screening of them, and the
-- append-only audit log whose entries are chained by SHA-256. Applied once, in a transaction,
-- by src/registry (the `schema_version` table records it).

CREATE TABLE project (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,
    class         TEXT NOT NULL CHECK (class IN ('ordinary', 'provincial_key', 'national_key')),
    status        TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'built', 'rejected')),
    site          TEXT NOT NULL,          -- the site's GeoJSON geometry, lon/lat
    registered_at TEXT NOT NULL,          -- RFC 3339, UTC
    registered_by TEXT NOT NULL,          -- a token's name, never a token
    updated_at    TEXT NOT NULL
);

CREATE TABLE screening (
    project_id     TEXT NOT NULL REFERENCES project (id),
    n              BIGINT NOT NULL,       -- 1, 2, … per project
    data_version   TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    screened_at    TEXT NOT NULL,
    trigger        TEXT NOT NULL CHECK (trigger IN ('registered', 'data_change', 'manual')),
    decision       TEXT,                  -- null when the answer has no ruling
    verdict        TEXT NOT NULL,
    answer         TEXT NOT NULL,         -- the full answer, exactly as POST /check gives it
    PRIMARY KEY (project_id, n)
);

CREATE TABLE audit (
    seq       BIGINT PRIMARY KEY,         -- 1, 2, … without gaps
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,              -- a token's name
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    digest    TEXT NOT NULL,              -- of the request
    prev_hash TEXT NOT NULL,              -- the previous entry's hash (64 zeros for the first)
    hash      TEXT NOT NULL               -- SHA-256 over this entry's fields and prev_hash
);

CREATE INDEX project_status ON project (status);
CREATE INDEX project_type ON project (type);
