-- Passkeys and security keys (WebAuthn credentials) of users, the
-- short-lived, single-use ceremonies (challenges) that register and use
-- them, and whether an organization lets its users sign in with a passkey
-- alone.
CREATE TABLE passkeys (
    id               text        NOT NULL PRIMARY KEY,
    org_id           text        NOT NULL REFERENCES organizations (id),
    user_id          text        NOT NULL REFERENCES users (id),
    credential_id    bytea       NOT NULL UNIQUE,
    public_key       bytea       NOT NULL,
    sign_count       bigint      NOT NULL DEFAULT 0,
    -- Comma-separated WebAuthn transports (usb, nfc, ble, internal, hybrid).
    transports       text        NOT NULL DEFAULT '',
    aaguid           bytea       NOT NULL,
    -- The WebAuthn credential flags (user present, verified, backup
    -- eligible, backed up) as the authenticator first reported them.
    flags            integer     NOT NULL DEFAULT 0,
    attestation_type text        NOT NULL DEFAULT '',
    name             text        NOT NULL,
    created_at       timestamptz NOT NULL,
    last_used_at     timestamptz
);
CREATE INDEX passkeys_user ON passkeys (org_id, user_id, created_at);

CREATE TABLE passkey_ceremonies (
    challenge  text        NOT NULL PRIMARY KEY,
    org_id     text        NOT NULL REFERENCES organizations (id),
    -- '' for a passwordless sign-in, which starts before anyone is known.
    user_id    text        NOT NULL DEFAULT '',
    session_id text        NOT NULL DEFAULT '',
    kind       text        NOT NULL,
    data       bytea       NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);

ALTER TABLE organizations ADD COLUMN passwordless_passkeys boolean NOT NULL DEFAULT false;
