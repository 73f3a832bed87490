-- Organizations, their email domains, users and users' email addresses.
--
-- Conventions (shared with the SQLite schema):
--   * ids are UUID strings set by the application, kept as text so that
--     both stores compare and filter them alike;
--   * times are timestamptz, written in UTC with microsecond precision;
--     NULL only where "never" is a value;
--   * optional text is '' rather than NULL, so filters need no NULL logic;
--   * *_lower columns hold the application's Unicode lower-casing of a
--     case-insensitive attribute, for unique and lookup indexes;
--   * unique indexes are named, so that both stores report a conflict on
--     the same attribute.

CREATE TABLE organizations (
    id                      text        NOT NULL PRIMARY KEY,
    slug                    text        NOT NULL,
    name                    text        NOT NULL,
    mfa_policy              text        NOT NULL,
    lockout_threshold       integer     NOT NULL,
    inactivity_days         integer     NOT NULL,
    password_min_length     integer     NOT NULL,
    password_require_upper  boolean     NOT NULL DEFAULT false,
    password_require_lower  boolean     NOT NULL DEFAULT false,
    password_require_digit  boolean     NOT NULL DEFAULT false,
    password_require_symbol boolean     NOT NULL DEFAULT false,
    -- Definitions of custom user properties: a JSON array, read with the org.
    user_properties         jsonb       NOT NULL DEFAULT '[]',
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    version                 bigint      NOT NULL
);

CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug);

-- A domain belongs to one organization across the whole installation.
CREATE TABLE org_domains (
    domain     text    NOT NULL,
    org_id     text    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    ordinal    integer NOT NULL,
    is_primary boolean NOT NULL DEFAULT false,
    CONSTRAINT org_domains_pkey PRIMARY KEY (domain)
);

CREATE INDEX org_domains_org_idx ON org_domains (org_id, ordinal);
CREATE UNIQUE INDEX org_domains_primary_key ON org_domains (org_id) WHERE is_primary;

CREATE TABLE users (
    id                          text        NOT NULL,
    org_id                      text        NOT NULL REFERENCES organizations (id),
    user_name                   text        NOT NULL,
    user_name_lower             text        NOT NULL,
    external_id                 text        NOT NULL DEFAULT '',
    source                      text        NOT NULL,
    source_ref                  text        NOT NULL DEFAULT '',
    given_name                  text        NOT NULL DEFAULT '',
    family_name                 text        NOT NULL DEFAULT '',
    display_name                text        NOT NULL DEFAULT '',
    email                       text        NOT NULL DEFAULT '',
    email_lower                 text        NOT NULL DEFAULT '',
    phone                       text        NOT NULL DEFAULT '',
    title                       text        NOT NULL DEFAULT '',
    employee_number             text        NOT NULL DEFAULT '',
    cost_center                 text        NOT NULL DEFAULT '',
    organization                text        NOT NULL DEFAULT '',
    division                    text        NOT NULL DEFAULT '',
    department                  text        NOT NULL DEFAULT '',
    manager_id                  text        NOT NULL DEFAULT '',
    -- SCIM attributes that are stored and returned but never filtered on.
    profile                     jsonb       NOT NULL DEFAULT '{}',
    -- Values of the organization's custom user properties.
    properties                  jsonb       NOT NULL DEFAULT '{}',
    role                        text        NOT NULL,
    auth_method                 text        NOT NULL,
    status                      text        NOT NULL,
    status_reason               text        NOT NULL DEFAULT '',
    status_set_by               text        NOT NULL DEFAULT '',
    status_set_by_id            text        NOT NULL DEFAULT '',
    status_changed_at           timestamptz,
    status_before_delete        text        NOT NULL DEFAULT '',
    status_before_delete_set_by text        NOT NULL DEFAULT '',
    password_hash               text        NOT NULL DEFAULT '',
    failed_logins               integer     NOT NULL DEFAULT 0,
    last_login_at               timestamptz,
    activated_at                timestamptz,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL,
    deleted_at                  timestamptz,
    version                     bigint      NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id)
);

-- userName is unique across all organizations, regardless of case; the same
-- index serves lookups by userName within one organization.
CREATE UNIQUE INDEX users_user_name_key ON users (user_name_lower);
-- Listings sorted by userName, the usual order of admin screens, walk this
-- index instead of sorting the organization's users.
CREATE INDEX users_org_user_name_idx ON users (org_id, user_name_lower);
CREATE INDEX users_org_idx ON users (org_id, id);
CREATE INDEX users_org_external_id_idx ON users (org_id, external_id);
CREATE INDEX users_org_email_idx ON users (org_id, email_lower);
CREATE INDEX users_org_source_ref_idx ON users (org_id, source, source_ref);
CREATE INDEX users_org_status_idx ON users (org_id, status, source);

-- Every email address of a user, so that emails[...] filters are index-backed
-- EXISTS subqueries rather than JSON scans.
CREATE TABLE user_emails (
    user_id     text    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ordinal     integer NOT NULL,
    value       text    NOT NULL,
    value_lower text    NOT NULL,
    type        text    NOT NULL DEFAULT '',
    -- Folded so that the planner has statistics for emails[type eq …].
    type_lower  text    NOT NULL DEFAULT '',
    is_primary  boolean NOT NULL DEFAULT false,
    display     text    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, ordinal)
);

CREATE INDEX user_emails_value_idx ON user_emails (value_lower);
