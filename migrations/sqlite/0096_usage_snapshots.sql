-- Usage over time: a daily count of each organization's users by status,
-- role and source, written by the usage job in one set-based statement.
-- day is the UTC date of the snapshot, as YYYY-MM-DD.
CREATE TABLE usage_snapshots (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day    TEXT NOT NULL,
    status TEXT NOT NULL,
    role   TEXT NOT NULL,
    source TEXT NOT NULL,
    users  INTEGER NOT NULL,
    PRIMARY KEY (org_id, day, status, role, source)
) STRICT;
