-- SCIM roles and entitlements of a user, in one table told apart by kind
-- ('role' or 'entitlement'), so that roles[...] and entitlements[...]
-- filters are index-backed EXISTS subqueries like those on emails.
CREATE TABLE user_grants (
    user_id     text    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text    NOT NULL,
    ordinal     integer NOT NULL,
    value       text    NOT NULL,
    value_lower text    NOT NULL,
    type        text    NOT NULL DEFAULT '',
    type_lower  text    NOT NULL DEFAULT '',
    is_primary  boolean NOT NULL DEFAULT false,
    display     text    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, kind, ordinal)
);

CREATE INDEX user_grants_value_idx ON user_grants (kind, value_lower);
CREATE INDEX user_grants_type_idx ON user_grants (kind, type_lower);
