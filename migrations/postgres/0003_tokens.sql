-- Bearer tokens. Only a hash of the secret is stored.

CREATE TABLE tokens (
    id           text        NOT NULL,
    org_id       text        NOT NULL REFERENCES organizations (id),
    kind         text        NOT NULL,
    name         text        NOT NULL DEFAULT '',
    secret_hash  text        NOT NULL,
    created_by   text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT tokens_pkey PRIMARY KEY (id)
);

CREATE INDEX tokens_org_idx ON tokens (org_id, id);
