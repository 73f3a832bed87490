-- Seats per service in the daily usage snapshot: for each service of the
-- organization on that day, the users holding it (not deleted; through an
-- entitlement or a mapped group) and its seat limit then (NULL: none). The
-- key names the service for good; the name is the one it had that day.
CREATE TABLE usage_service_snapshots (
    org_id     TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day        TEXT    NOT NULL,
    service    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    seats      INTEGER NOT NULL,
    seat_limit INTEGER,
    PRIMARY KEY (org_id, day, service)
) STRICT;

CREATE INDEX usage_service_snapshots_day_idx ON usage_service_snapshots (day);
