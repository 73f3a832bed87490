-- The replicas serving on this database, each with the time of its latest
-- heartbeat: a replica counts the live ones to enforce its share of the
-- rate limits.
CREATE TABLE replicas (
    id      TEXT NOT NULL PRIMARY KEY,
    seen_at TEXT NOT NULL
) STRICT;
