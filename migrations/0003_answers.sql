-- The project registry, version 3 (issue #16): each distinct answer stored once. After a data
-- change most projects' answers are byte-for-byte what they were (the answer names no data
-- version), so a re-screening pass over 10^5 projects adds 10^5 screening rows, not 10^5 more
-- copies of ~3 KB answers. Runs unchanged on SQLite and PostgreSQL.
CREATE TABLE answer (
    digest TEXT PRIMARY KEY,              -- SHA-256 (hex) of body
    body   TEXT NOT NULL                  -- the answer's JSON text, exactly as POST /check gave it
);

-- A screening's answer is answer.body where answer_digest is set; rows written before this
-- migration keep theirs in screening.answer (new rows leave it empty).
ALTER TABLE screening ADD COLUMN answer_digest TEXT REFERENCES answer (digest);
