-- Groups and their members. A membership is one row, so that adding or
-- removing members costs time proportional to the change.

CREATE TABLE groups (
    id                 text        NOT NULL,
    org_id             text        NOT NULL REFERENCES organizations (id),
    display_name       text        NOT NULL,
    display_name_lower text        NOT NULL,
    external_id        text        NOT NULL DEFAULT '',
    source             text        NOT NULL,
    source_ref         text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    version            bigint      NOT NULL,
    CONSTRAINT groups_pkey PRIMARY KEY (id)
);

-- displayName is unique within an organization, regardless of case.
CREATE UNIQUE INDEX groups_display_name_key ON groups (org_id, display_name_lower);
CREATE INDEX groups_org_idx ON groups (org_id, id);
CREATE INDEX groups_org_external_id_idx ON groups (org_id, external_id);
CREATE INDEX groups_org_source_ref_idx ON groups (org_id, source, source_ref);

CREATE TABLE group_members (
    group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Denormalized so that membership queries are scoped by organization
    -- without a join.
    org_id   text NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX group_members_user_idx ON group_members (user_id, group_id);
