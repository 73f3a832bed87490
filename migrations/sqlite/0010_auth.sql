-- Logins: sessions and personal API tokens, one-time links, second factors,
-- recovery codes and single sign-on settings. Secrets are kept only as
-- SHA-256 hashes; TOTP seeds and OIDC client secrets are sealed (AES-GCM)
-- by the application before they get here.

CREATE TABLE auth_sessions (
    id           TEXT NOT NULL PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL,
    stage        TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    method       TEXT NOT NULL DEFAULT '',
    secret_hash  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;

CREATE UNIQUE INDEX auth_sessions_secret_hash_key ON auth_sessions (secret_hash);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id, kind);

CREATE TABLE auth_links (
    id          TEXT NOT NULL PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
) STRICT;

CREATE UNIQUE INDEX auth_links_secret_hash_key ON auth_links (secret_hash);
CREATE INDEX auth_links_user_idx ON auth_links (user_id);

-- One row per user that ever had a second factor or was required to.
CREATE TABLE auth_mfa (
    user_id        TEXT    NOT NULL PRIMARY KEY REFERENCES users (id),
    org_id         TEXT    NOT NULL REFERENCES organizations (id),
    totp_secret    TEXT    NOT NULL DEFAULT '',
    pending_secret TEXT    NOT NULL DEFAULT '',
    -- The last TOTP time step spent: codes of that step or earlier fail.
    last_step      INTEGER NOT NULL DEFAULT 0,
    required       INTEGER NOT NULL DEFAULT 0,
    enrolled_at    TEXT,
    updated_at     TEXT    NOT NULL
) STRICT;

CREATE TABLE auth_recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id),
    code_hash  TEXT NOT NULL,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    created_at TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (user_id, code_hash)
) STRICT;

CREATE TABLE auth_oidc (
    org_id        TEXT    NOT NULL PRIMARY KEY REFERENCES organizations (id),
    issuer        TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    client_secret TEXT    NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT    NOT NULL
) STRICT;
