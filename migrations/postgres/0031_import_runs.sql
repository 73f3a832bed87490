-- Committed imports, kept so that an admin can download a run's report
-- after the upload that made it. Old runs are swept as new ones arrive.
CREATE TABLE import_runs (
    id          text        NOT NULL PRIMARY KEY,
    org_id      text        NOT NULL REFERENCES organizations (id),
    actor_kind  text        NOT NULL,
    actor_id    text        NOT NULL DEFAULT '',
    actor_name  text        NOT NULL DEFAULT '',
    file_name   text        NOT NULL DEFAULT '',
    mode        text        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    -- The importer's summary (counts and problems), read whole.
    summary     jsonb       NOT NULL,
    -- The per-row report: a gzip-compressed CSV.
    report      bytea       NOT NULL
);

CREATE INDEX import_runs_org_idx ON import_runs (org_id, started_at);
