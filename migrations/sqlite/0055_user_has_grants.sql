-- users.has_grants says whether user_grants holds roles or entitlements of
-- the user, so that reading one of the many users without any skips
-- their subquery. The store keeps it with every write of the user.
ALTER TABLE users ADD COLUMN has_grants INTEGER NOT NULL DEFAULT 0;
UPDATE users SET has_grants = 1 WHERE id IN (SELECT user_id FROM user_grants);
