-- Usage over time: a daily count of each organization's users by status,
-- role and source, written by the usage job in one set-based statement.
-- day is the UTC date of the snapshot, as YYYY-MM-DD.
CREATE TABLE usage_snapshots (
    org_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day    text NOT NULL,
    status text NOT NULL,
    role   text NOT NULL,
    source text NOT NULL,
    users  integer NOT NULL,
    PRIMARY KEY (org_id, day, status, role, source)
);
