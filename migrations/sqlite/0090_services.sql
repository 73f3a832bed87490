-- The services an organization gives its users access to (licences). A
-- user holds a service when one of its entitlements (user_grants, kind
-- 'entitlement') has the service's key as value, so SCIM entitlements,
-- the admin API and imports share one assignment. key is stored lower
-- case and matched against user_grants.value_lower.
CREATE TABLE services (
    id          TEXT    NOT NULL PRIMARY KEY,
    org_id      TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    -- NULL: no limit.
    seat_limit  INTEGER,
    -- Advanced by every write that takes seats of the service (SQLite
    -- runs writers one at a time; the column keeps both schemas alike).
    seat_writes INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    version     INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX services_key_key ON services (org_id, key);
