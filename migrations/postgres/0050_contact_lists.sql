-- Users that LDAP or Entra sync created before their contact email and
-- phone were mirrored into the lists SCIM shows (emails, phoneNumbers)
-- get them now, as the primary "work" entry, and a new version so that
-- cached copies (ETags) are refreshed.
UPDATE users SET version = version + 1
WHERE source IN ('ldap', 'entra')
    AND ((email <> '' AND NOT EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = users.id))
        OR (phone <> '' AND NOT (profile ? 'phoneNumbers')));

INSERT INTO user_emails (user_id, ordinal, value, value_lower, type, type_lower, is_primary, display)
SELECT u.id, 0, u.email, lower(u.email), 'work', 'work', true, ''
FROM users u
WHERE u.source IN ('ldap', 'entra') AND u.email <> ''
    AND NOT EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id);

UPDATE users SET profile = jsonb_set(profile, '{phoneNumbers}',
        jsonb_build_array(jsonb_build_object('value', phone, 'type', 'work', 'primary', true)))
WHERE source IN ('ldap', 'entra') AND phone <> '' AND NOT (profile ? 'phoneNumbers');
