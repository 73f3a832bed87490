-- The audit log: append-only, read newest first, by organization and
-- optionally by actor or target.

CREATE TABLE audit_events (
    id          TEXT NOT NULL PRIMARY KEY,
    -- Not a foreign key: the log outlives what it describes.
    org_id      TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL DEFAULT '',
    actor_name  TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target_kind TEXT NOT NULL DEFAULT '',
    target_id   TEXT NOT NULL DEFAULT '',
    -- Changed fields, before and after: {"field": {"before": …, "after": …}}.
    changes     TEXT NOT NULL DEFAULT '{}',
    request_id  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_events_org_time_idx ON audit_events (org_id, occurred_at, id);
CREATE INDEX audit_events_org_actor_idx ON audit_events (org_id, actor_id, occurred_at, id);
CREATE INDEX audit_events_org_target_idx ON audit_events (org_id, target_kind, target_id, occurred_at, id);
