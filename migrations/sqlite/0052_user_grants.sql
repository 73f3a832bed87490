-- SCIM roles and entitlements of a user, in one table told apart by kind
-- ('role' or 'entitlement'), so that roles[...] and entitlements[...]
-- filters are index-backed EXISTS subqueries like those on emails.
CREATE TABLE user_grants (
    user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    ordinal     INTEGER NOT NULL,
    value       TEXT    NOT NULL,
    value_lower TEXT    NOT NULL,
    type        TEXT    NOT NULL DEFAULT '',
    type_lower  TEXT    NOT NULL DEFAULT '',
    is_primary  INTEGER NOT NULL DEFAULT 0,
    display     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, kind, ordinal)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_grants_value_idx ON user_grants (kind, value_lower);
CREATE INDEX user_grants_type_idx ON user_grants (kind, type_lower);
