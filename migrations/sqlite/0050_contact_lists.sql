-- Users that LDAP or Entra sync created before their contact email and
-- phone were mirrored into the lists SCIM shows (emails, phoneNumbers)
-- get them now, as the primary "work" entry, and a new version so that
-- cached copies (ETags) are refreshed.
UPDATE users SET version = version + 1
WHERE source IN ('ldap', 'entra')
    AND ((email <> '' AND NOT EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = users.id))
        OR (phone <> '' AND json_type(profile, '$.phoneNumbers') IS NULL));

INSERT INTO user_emails (user_id, ordinal, value, value_lower, type, type_lower, is_primary, display)
SELECT u.id, 0, u.email, lower(u.email), 'work', 'work', 1, ''
FROM users u
WHERE u.source IN ('ldap', 'entra') AND u.email <> ''
    AND NOT EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id);

UPDATE users SET profile = json_set(profile, '$.phoneNumbers',
        json_array(json_object('value', phone, 'type', 'work', 'primary', json('true'))))
WHERE source IN ('ldap', 'entra') AND phone <> '' AND json_type(profile, '$.phoneNumbers') IS NULL;
