-- Bearer tokens. Only a hash of the secret is stored.

CREATE TABLE tokens (
    id           TEXT NOT NULL PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    secret_hash  TEXT NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;

CREATE INDEX tokens_org_idx ON tokens (org_id, id);
