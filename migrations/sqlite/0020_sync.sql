-- Directory sync: connectors, their run history, and the links that tie a
-- directory object to the Roster user or group it feeds.

CREATE TABLE sync_connectors (
    id           TEXT    NOT NULL PRIMARY KEY,
    org_id       TEXT    NOT NULL REFERENCES organizations (id),
    name         TEXT    NOT NULL,
    name_lower   TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    -- Kind-specific settings (URLs, base DNs, tenant …); never secrets.
    settings     TEXT    NOT NULL DEFAULT '{}',
    -- The connector's secrets, sealed with AES-GCM under the configured key.
    secrets      BLOB    NOT NULL DEFAULT x'',
    schedule     TEXT    NOT NULL DEFAULT '',
    mapping      TEXT    NOT NULL DEFAULT '{}',
    role_rules   TEXT    NOT NULL DEFAULT '[]',
    default_role TEXT    NOT NULL DEFAULT '',
    deprovision  TEXT    NOT NULL,
    threshold    REAL    NOT NULL,
    enabled      INTEGER NOT NULL,
    -- Where the next incremental run starts (Graph deltaLinks, USNs …).
    cursor       TEXT    NOT NULL DEFAULT '',
    -- The run that holds the connector, until lease_until: one run per
    -- connector at a time, across processes.
    lease_run_id TEXT    NOT NULL DEFAULT '',
    lease_until  TEXT,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    version      INTEGER NOT NULL
) STRICT;

-- A connector's name is unique within its organization, regardless of case.
CREATE UNIQUE INDEX sync_connectors_name_key ON sync_connectors (org_id, name_lower);

CREATE TABLE sync_runs (
    id           TEXT    NOT NULL PRIMARY KEY,
    org_id       TEXT    NOT NULL,
    connector_id TEXT    NOT NULL REFERENCES sync_connectors (id) ON DELETE CASCADE,
    run_trigger  TEXT    NOT NULL,
    dry_run      INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    started_by   TEXT    NOT NULL DEFAULT '',
    -- For a run started by approving a held run: that run's id.
    approval_of  TEXT    NOT NULL DEFAULT '',
    started_at   TEXT    NOT NULL,
    ended_at     TEXT,
    full_sync    INTEGER NOT NULL DEFAULT 0,
    -- Changes by action ({"create": 12, …}), failed changes, and the plan
    -- of dry runs and held runs.
    counts       TEXT    NOT NULL DEFAULT '{}',
    errors       TEXT    NOT NULL DEFAULT '[]',
    plan         TEXT,
    message      TEXT    NOT NULL DEFAULT '',
    decided_by   TEXT    NOT NULL DEFAULT '',
    decided_at   TEXT
) STRICT;

-- Run history reads newest first by connector; ids are time-ordered.
CREATE INDEX sync_runs_connector_idx ON sync_runs (connector_id, id);

CREATE TABLE sync_links (
    connector_id TEXT NOT NULL REFERENCES sync_connectors (id) ON DELETE CASCADE,
    -- 'user' or 'group'.
    kind         TEXT NOT NULL,
    -- The directory's stable id of the object (entryUUID, objectGUID,
    -- Entra object id).
    source_ref   TEXT NOT NULL,
    org_id       TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    -- What group member lists call the object (an LDAP DN), if not its ref.
    member_key   TEXT NOT NULL DEFAULT '',
    -- Groups: the name last applied.
    name         TEXT NOT NULL DEFAULT '',
    -- Users: a digest of the directory's view last applied; a run skips
    -- users whose view has not changed.
    hash         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (connector_id, kind, source_ref)
) STRICT;

-- A user or group is managed by one connector at most.
CREATE UNIQUE INDEX sync_links_object_key ON sync_links (kind, object_id);
