-- The services an organization gives its users access to (licences). A
-- user holds a service when one of its entitlements (user_grants, kind
-- 'entitlement') has the service's key as value, so SCIM entitlements,
-- the admin API and imports share one assignment. key is stored lower
-- case and matched against user_grants.value_lower.
CREATE TABLE services (
    id          text        NOT NULL,
    org_id      text        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    key         text        NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    -- NULL: no limit.
    seat_limit  integer,
    -- Advanced by every write that takes seats of the service, so that
    -- two such writes run one after the other and the second counts the
    -- first's seats.
    seat_writes bigint      NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint      NOT NULL,
    CONSTRAINT services_pkey PRIMARY KEY (id)
);

CREATE UNIQUE INDEX services_key_key ON services (org_id, key);
