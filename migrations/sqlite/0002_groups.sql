-- Groups and their members. A membership is one row, so that adding or
-- removing members costs time proportional to the change.

CREATE TABLE groups (
    id                 TEXT    NOT NULL PRIMARY KEY,
    org_id             TEXT    NOT NULL REFERENCES organizations (id),
    display_name       TEXT    NOT NULL,
    display_name_lower TEXT    NOT NULL,
    external_id        TEXT    NOT NULL DEFAULT '',
    source             TEXT    NOT NULL,
    source_ref         TEXT    NOT NULL DEFAULT '',
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    version            INTEGER NOT NULL
) STRICT;

-- displayName is unique within an organization, regardless of case.
CREATE UNIQUE INDEX groups_display_name_key ON groups (org_id, display_name_lower);
CREATE INDEX groups_org_idx ON groups (org_id, id);
CREATE INDEX groups_org_external_id_idx ON groups (org_id, external_id);
CREATE INDEX groups_org_source_ref_idx ON groups (org_id, source, source_ref);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Denormalized so that membership queries are scoped by organization
    -- without a join.
    org_id   TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX group_members_user_idx ON group_members (user_id, group_id);
