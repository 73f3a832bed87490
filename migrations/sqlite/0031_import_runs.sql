-- Committed imports, kept so that an admin can download a run's report
-- after the upload that made it. Old runs are swept as new ones arrive.
CREATE TABLE import_runs (
    id          TEXT NOT NULL PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL DEFAULT '',
    actor_name  TEXT NOT NULL DEFAULT '',
    file_name   TEXT NOT NULL DEFAULT '',
    mode        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    -- The importer's summary (counts and problems), read whole.
    summary     TEXT NOT NULL,
    -- The per-row report: a gzip-compressed CSV.
    report      BLOB NOT NULL
) STRICT;

CREATE INDEX import_runs_org_idx ON import_runs (org_id, started_at);
