-- Groups whose members hold a service (SCIM groups, or groups a directory
-- connector syncs): a user holds a service through its entitlements or
-- through membership of one of these groups. Mappings change rarely; the
-- seat count joins them with group_members.
CREATE TABLE service_groups (
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL,
    PRIMARY KEY (service_id, group_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX service_groups_group_idx ON service_groups (group_id);
CREATE INDEX service_groups_org_idx ON service_groups (org_id);
