-- SMS second factor. mfa_phones holds the one number a user receives its
-- codes on (E.164); confirmed_at is set once a texted code confirmed it.
CREATE TABLE mfa_phones (
    user_id      TEXT NOT NULL PRIMARY KEY REFERENCES users (id),
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    phone        TEXT NOT NULL,
    confirmed_at TEXT,
    updated_at   TEXT NOT NULL
) STRICT;

-- Every code sent: only a salted SHA-256 of the code is kept, and a
-- SHA-256 of the number it went to (phone_hash), so that the sends of the
-- last hour can be counted per user and per number. A code is live while
-- used_at is NULL and expires_at is ahead; a new code voids the older.
CREATE TABLE mfa_sms_codes (
    id         TEXT    NOT NULL PRIMARY KEY,
    org_id     TEXT    NOT NULL REFERENCES organizations (id),
    user_id    TEXT    NOT NULL REFERENCES users (id),
    purpose    TEXT    NOT NULL,
    phone_hash TEXT    NOT NULL,
    salt       TEXT    NOT NULL,
    code_hash  TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    used_at    TEXT
) STRICT;

CREATE INDEX mfa_sms_codes_user_idx ON mfa_sms_codes (user_id, created_at);
CREATE INDEX mfa_sms_codes_phone_idx ON mfa_sms_codes (phone_hash, created_at);
