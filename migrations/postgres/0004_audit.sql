-- The audit log: append-only, read newest first, by organization and
-- optionally by actor or target.

CREATE TABLE audit_events (
    id          text        NOT NULL,
    -- Not a foreign key: the log outlives what it describes.
    org_id      text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor_kind  text        NOT NULL,
    actor_id    text        NOT NULL DEFAULT '',
    actor_name  text        NOT NULL DEFAULT '',
    action      text        NOT NULL,
    target_kind text        NOT NULL DEFAULT '',
    target_id   text        NOT NULL DEFAULT '',
    -- Changed fields, before and after: {"field": {"before": …, "after": …}}.
    changes     jsonb       NOT NULL DEFAULT '{}',
    request_id  text        NOT NULL DEFAULT '',
    CONSTRAINT audit_events_pkey PRIMARY KEY (id)
);

CREATE INDEX audit_events_org_time_idx ON audit_events (org_id, occurred_at, id);
CREATE INDEX audit_events_org_actor_idx ON audit_events (org_id, actor_id, occurred_at, id);
CREATE INDEX audit_events_org_target_idx ON audit_events (org_id, target_kind, target_id, occurred_at, id);
