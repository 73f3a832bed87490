-- Directory sync: connectors, their run history, and the links that tie a
-- directory object to the Roster user or group it feeds.

CREATE TABLE sync_connectors (
    id           text             NOT NULL,
    org_id       text             NOT NULL REFERENCES organizations (id),
    name         text             NOT NULL,
    name_lower   text             NOT NULL,
    kind         text             NOT NULL,
    -- Kind-specific settings (URLs, base DNs, tenant …); never secrets.
    settings     jsonb            NOT NULL DEFAULT '{}',
    -- The connector's secrets, sealed with AES-GCM under the configured key.
    secrets      bytea            NOT NULL DEFAULT '\x',
    schedule     text             NOT NULL DEFAULT '',
    mapping      jsonb            NOT NULL DEFAULT '{}',
    role_rules   jsonb            NOT NULL DEFAULT '[]',
    default_role text             NOT NULL DEFAULT '',
    deprovision  text             NOT NULL,
    threshold    double precision NOT NULL,
    enabled      boolean          NOT NULL,
    -- Where the next incremental run starts (Graph deltaLinks, USNs …).
    cursor       text             NOT NULL DEFAULT '',
    -- The run that holds the connector, until lease_until: one run per
    -- connector at a time, across replicas.
    lease_run_id text             NOT NULL DEFAULT '',
    lease_until  timestamptz,
    created_at   timestamptz      NOT NULL,
    updated_at   timestamptz      NOT NULL,
    version      bigint           NOT NULL,
    CONSTRAINT sync_connectors_pkey PRIMARY KEY (id)
);

-- A connector's name is unique within its organization, regardless of case.
CREATE UNIQUE INDEX sync_connectors_name_key ON sync_connectors (org_id, name_lower);

CREATE TABLE sync_runs (
    id           text        NOT NULL,
    org_id       text        NOT NULL,
    connector_id text        NOT NULL REFERENCES sync_connectors (id) ON DELETE CASCADE,
    run_trigger  text        NOT NULL,
    dry_run      boolean     NOT NULL,
    status       text        NOT NULL,
    started_by   text        NOT NULL DEFAULT '',
    -- For a run started by approving a held run: that run's id.
    approval_of  text        NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    full_sync    boolean     NOT NULL DEFAULT false,
    -- Changes by action ({"create": 12, …}), failed changes, and the plan
    -- of dry runs and held runs.
    counts       jsonb       NOT NULL DEFAULT '{}',
    errors       jsonb       NOT NULL DEFAULT '[]',
    plan         jsonb,
    message      text        NOT NULL DEFAULT '',
    decided_by   text        NOT NULL DEFAULT '',
    decided_at   timestamptz,
    CONSTRAINT sync_runs_pkey PRIMARY KEY (id)
);

-- Run history reads newest first by connector; ids are time-ordered.
CREATE INDEX sync_runs_connector_idx ON sync_runs (connector_id, id);

CREATE TABLE sync_links (
    connector_id text NOT NULL REFERENCES sync_connectors (id) ON DELETE CASCADE,
    -- 'user' or 'group'.
    kind         text NOT NULL,
    -- The directory's stable id of the object (entryUUID, objectGUID,
    -- Entra object id).
    source_ref   text NOT NULL,
    org_id       text NOT NULL,
    object_id    text NOT NULL,
    -- What group member lists call the object (an LDAP DN), if not its ref.
    member_key   text NOT NULL DEFAULT '',
    -- Groups: the name last applied.
    name         text NOT NULL DEFAULT '',
    -- Users: a digest of the directory's view last applied; a run skips
    -- users whose view has not changed.
    hash         text NOT NULL DEFAULT '',
    CONSTRAINT sync_links_pkey PRIMARY KEY (connector_id, kind, source_ref)
);

-- A user or group is managed by one connector at most.
CREATE UNIQUE INDEX sync_links_object_key ON sync_links (kind, object_id);
