-- SMS second factor. mfa_phones holds the one number a user receives its
-- codes on (E.164); confirmed_at is set once a texted code confirmed it.
CREATE TABLE mfa_phones (
    user_id      text        NOT NULL PRIMARY KEY REFERENCES users (id),
    org_id       text        NOT NULL REFERENCES organizations (id),
    phone        text        NOT NULL,
    confirmed_at timestamptz,
    updated_at   timestamptz NOT NULL
);

-- Every code sent: only a salted SHA-256 of the code is kept, and a
-- SHA-256 of the number it went to (phone_hash), so that the sends of the
-- last hour can be counted per user and per number. A code is live while
-- used_at is NULL and expires_at is ahead; a new code voids the older.
CREATE TABLE mfa_sms_codes (
    id         text        NOT NULL PRIMARY KEY,
    org_id     text        NOT NULL REFERENCES organizations (id),
    user_id    text        NOT NULL REFERENCES users (id),
    purpose    text        NOT NULL,
    phone_hash text        NOT NULL,
    salt       text        NOT NULL,
    code_hash  text        NOT NULL,
    attempts   integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE INDEX mfa_sms_codes_user_idx ON mfa_sms_codes (user_id, created_at);
CREATE INDEX mfa_sms_codes_phone_idx ON mfa_sms_codes (phone_hash, created_at);
