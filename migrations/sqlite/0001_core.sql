-- Organizations, their email domains, users and users' email addresses.
--
-- Conventions (shared with the PostgreSQL schema):
--   * ids are UUID strings set by the application;
--   * times are UTC text 'YYYY-MM-DDTHH:MM:SS.ffffffZ', which sorts and
--     compares like the instants it names; NULL only where "never" is a value;
--   * optional text is '' rather than NULL, so filters need no NULL logic;
--   * *_lower columns hold the application's Unicode lower-casing of a
--     case-insensitive attribute, for unique and lookup indexes;
--   * unique indexes are named like PostgreSQL's, so that both stores report
--     a conflict on the same attribute.

CREATE TABLE organizations (
    id                      TEXT    NOT NULL PRIMARY KEY,
    slug                    TEXT    NOT NULL,
    name                    TEXT    NOT NULL,
    mfa_policy              TEXT    NOT NULL,
    lockout_threshold       INTEGER NOT NULL,
    inactivity_days         INTEGER NOT NULL,
    password_min_length     INTEGER NOT NULL,
    password_require_upper  INTEGER NOT NULL DEFAULT 0,
    password_require_lower  INTEGER NOT NULL DEFAULT 0,
    password_require_digit  INTEGER NOT NULL DEFAULT 0,
    password_require_symbol INTEGER NOT NULL DEFAULT 0,
    -- Definitions of custom user properties: a JSON array, read with the org.
    user_properties         TEXT    NOT NULL DEFAULT '[]',
    created_at              TEXT    NOT NULL,
    updated_at              TEXT    NOT NULL,
    version                 INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug);

-- A domain belongs to one organization across the whole installation.
CREATE TABLE org_domains (
    domain     TEXT    NOT NULL PRIMARY KEY,
    org_id     TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    ordinal    INTEGER NOT NULL,
    is_primary INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX org_domains_org_idx ON org_domains (org_id, ordinal);
CREATE UNIQUE INDEX org_domains_primary_key ON org_domains (org_id) WHERE is_primary;

CREATE TABLE users (
    id                          TEXT    NOT NULL PRIMARY KEY,
    org_id                      TEXT    NOT NULL REFERENCES organizations (id),
    user_name                   TEXT    NOT NULL,
    user_name_lower             TEXT    NOT NULL,
    external_id                 TEXT    NOT NULL DEFAULT '',
    source                      TEXT    NOT NULL,
    source_ref                  TEXT    NOT NULL DEFAULT '',
    given_name                  TEXT    NOT NULL DEFAULT '',
    family_name                 TEXT    NOT NULL DEFAULT '',
    display_name                TEXT    NOT NULL DEFAULT '',
    email                       TEXT    NOT NULL DEFAULT '',
    email_lower                 TEXT    NOT NULL DEFAULT '',
    phone                       TEXT    NOT NULL DEFAULT '',
    title                       TEXT    NOT NULL DEFAULT '',
    employee_number             TEXT    NOT NULL DEFAULT '',
    cost_center                 TEXT    NOT NULL DEFAULT '',
    organization                TEXT    NOT NULL DEFAULT '',
    division                    TEXT    NOT NULL DEFAULT '',
    department                  TEXT    NOT NULL DEFAULT '',
    manager_id                  TEXT    NOT NULL DEFAULT '',
    -- SCIM attributes that are stored and returned but never filtered on.
    profile                     TEXT    NOT NULL DEFAULT '{}',
    -- Values of the organization's custom user properties.
    properties                  TEXT    NOT NULL DEFAULT '{}',
    role                        TEXT    NOT NULL,
    auth_method                 TEXT    NOT NULL,
    status                      TEXT    NOT NULL,
    status_reason               TEXT    NOT NULL DEFAULT '',
    status_set_by               TEXT    NOT NULL DEFAULT '',
    status_set_by_id            TEXT    NOT NULL DEFAULT '',
    status_changed_at           TEXT,
    status_before_delete        TEXT    NOT NULL DEFAULT '',
    status_before_delete_set_by TEXT    NOT NULL DEFAULT '',
    password_hash               TEXT    NOT NULL DEFAULT '',
    failed_logins               INTEGER NOT NULL DEFAULT 0,
    last_login_at               TEXT,
    activated_at                TEXT,
    created_at                  TEXT    NOT NULL,
    updated_at                  TEXT    NOT NULL,
    deleted_at                  TEXT,
    version                     INTEGER NOT NULL
) STRICT;

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
    user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    value       TEXT    NOT NULL,
    value_lower TEXT    NOT NULL,
    type        TEXT    NOT NULL DEFAULT '',
    -- Folded so that the planner has statistics for emails[type eq …].
    type_lower  TEXT    NOT NULL DEFAULT '',
    is_primary  INTEGER NOT NULL DEFAULT 0,
    display     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, ordinal)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_emails_value_idx ON user_emails (value_lower);
