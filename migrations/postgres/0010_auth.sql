-- Logins: sessions and personal API tokens, one-time links, second factors,
-- recovery codes and single sign-on settings. Secrets are kept only as
-- SHA-256 hashes; TOTP seeds and OIDC client secrets are sealed (AES-GCM)
-- by the application before they get here.

CREATE TABLE auth_sessions (
    id           text        NOT NULL PRIMARY KEY,
    org_id       text        NOT NULL REFERENCES organizations (id),
    user_id      text        NOT NULL REFERENCES users (id),
    kind         text        NOT NULL,
    stage        text        NOT NULL,
    name         text        NOT NULL DEFAULT '',
    method       text        NOT NULL DEFAULT '',
    secret_hash  text        NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE UNIQUE INDEX auth_sessions_secret_hash_key ON auth_sessions (secret_hash);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id, kind);

CREATE TABLE auth_links (
    id          text        NOT NULL PRIMARY KEY,
    org_id      text        NOT NULL REFERENCES organizations (id),
    user_id     text        NOT NULL REFERENCES users (id),
    purpose     text        NOT NULL,
    secret_hash text        NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE UNIQUE INDEX auth_links_secret_hash_key ON auth_links (secret_hash);
CREATE INDEX auth_links_user_idx ON auth_links (user_id);

-- One row per user that ever had a second factor or was required to.
CREATE TABLE auth_mfa (
    user_id        text        NOT NULL PRIMARY KEY REFERENCES users (id),
    org_id         text        NOT NULL REFERENCES organizations (id),
    totp_secret    text        NOT NULL DEFAULT '',
    pending_secret text        NOT NULL DEFAULT '',
    -- The last TOTP time step spent: codes of that step or earlier fail.
    last_step      bigint      NOT NULL DEFAULT 0,
    required       boolean     NOT NULL DEFAULT false,
    enrolled_at    timestamptz,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE auth_recovery_codes (
    user_id    text        NOT NULL REFERENCES users (id),
    code_hash  text        NOT NULL,
    org_id     text        NOT NULL REFERENCES organizations (id),
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE auth_oidc (
    org_id        text        NOT NULL PRIMARY KEY REFERENCES organizations (id),
    issuer        text        NOT NULL,
    client_id     text        NOT NULL,
    client_secret text        NOT NULL,
    enabled       boolean     NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL
);
