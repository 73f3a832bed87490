-- Passkeys and security keys (WebAuthn credentials) of users, the
-- short-lived, single-use ceremonies (challenges) that register and use
-- them, and whether an organization lets its users sign in with a passkey
-- alone.
CREATE TABLE passkeys (
    id               TEXT        NOT NULL PRIMARY KEY,
    org_id           TEXT        NOT NULL REFERENCES organizations (id),
    user_id          TEXT        NOT NULL REFERENCES users (id),
    credential_id    BLOB        NOT NULL UNIQUE,
    public_key       BLOB        NOT NULL,
    sign_count       INTEGER     NOT NULL DEFAULT 0,
    -- Comma-separated WebAuthn transports (usb, nfc, ble, internal, hybrid).
    transports       TEXT        NOT NULL DEFAULT '',
    aaguid           BLOB        NOT NULL,
    -- The WebAuthn credential flags (user present, verified, backup
    -- eligible, backed up) as the authenticator first reported them.
    flags            INTEGER     NOT NULL DEFAULT 0,
    attestation_type TEXT        NOT NULL DEFAULT '',
    name             TEXT        NOT NULL,
    created_at       TEXT        NOT NULL,
    last_used_at     TEXT
) STRICT;
CREATE INDEX passkeys_user ON passkeys (org_id, user_id, created_at);

CREATE TABLE passkey_ceremonies (
    challenge  TEXT        NOT NULL PRIMARY KEY,
    org_id     TEXT        NOT NULL REFERENCES organizations (id),
    -- '' for a passwordless sign-in, which starts before anyone is known.
    user_id    TEXT        NOT NULL DEFAULT '',
    session_id TEXT        NOT NULL DEFAULT '',
    kind       TEXT        NOT NULL,
    data       BLOB        NOT NULL,
    expires_at TEXT        NOT NULL
) STRICT;
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);

ALTER TABLE organizations ADD COLUMN passwordless_passkeys INTEGER NOT NULL DEFAULT 0;
