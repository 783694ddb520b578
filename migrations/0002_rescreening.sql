-- The project registry, version 2 (issue #16): what re-screening, impacts and replay need.
-- Runs unchanged on SQLite and PostgreSQL.
--
-- project.last_*: the newest screening's version, decision, verdict and counties, kept with the
-- project so that "not yet screened against version V" and the list filters are one indexed
-- look-up each, at 10^5 projects. year: the year asked at registration (null: the current year
-- at each screening).
ALTER TABLE project ADD COLUMN year BIGINT;
ALTER TABLE project ADD COLUMN last_n BIGINT NOT NULL DEFAULT 0;
ALTER TABLE project ADD COLUMN last_version TEXT;
ALTER TABLE project ADD COLUMN last_decision TEXT;
ALTER TABLE project ADD COLUMN last_verdict TEXT;
ALTER TABLE project ADD COLUMN last_counties TEXT NOT NULL DEFAULT ',';  -- ',330402,330411,'

-- outcome: the answer's decision, verdict and hits (layer, id, relation, overlap), compact, so
-- impacts compare 10^5 pairs without parsing 10^5 full answers.
ALTER TABLE screening ADD COLUMN outcome TEXT NOT NULL DEFAULT '{}';

-- Every data version the registry screened against: the files it is made of (file -> content
-- hash, as the layer history records them) so that it can be rebuilt for a replay, and the
-- order versions came into service (activation), which names "the previous version".
CREATE TABLE data_version (
    version       TEXT PRIMARY KEY,
    files         TEXT NOT NULL,          -- JSON object, file -> FNV-1a 64 hex
    first_seen_at TEXT NOT NULL,
    activated_at  TEXT NOT NULL,
    activation    BIGINT NOT NULL         -- 1, 2, …: raised each time the version comes into service
);

CREATE INDEX project_last_version ON project (last_version);
CREATE INDEX screening_version ON screening (data_version, project_id);
