-- userName is unique within its organization, not across the installation,
-- and only among users that are not deleted: a soft-deleted user frees its
-- userName for a new user. A userName that was an email keeps it.
--
-- The login email (the primary email) becomes unique within the
-- organization among users that are not deleted. Before this step it was
-- not; where two live users of one organization shared a primary email, the
-- oldest keeps it as its login email and the others' primary email is
-- cleared (their userName, and every address in their emails list, stay):
-- an admin gives them a distinct email before they can log in locally.
UPDATE users SET email = '', email_lower = ''
WHERE id IN (
    SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY org_id, email_lower ORDER BY created_at, id) AS n
        FROM users
        WHERE status <> 'deleted' AND email_lower <> ''
    ) AS ranked
    WHERE n > 1
);

DROP INDEX users_user_name_key;
-- SQLite checks the index created last first: a user clashing on both
-- userName and email is reported on userName, as PostgreSQL reports it.
CREATE UNIQUE INDEX users_org_email_key ON users (org_id, email_lower) WHERE status <> 'deleted' AND email_lower <> '';
CREATE UNIQUE INDEX users_org_user_name_key ON users (org_id, user_name_lower) WHERE status <> 'deleted';
