-- users.locked_until holds the end of a temporary lock: the organization's
-- last active org_admin is never locked for good by wrong passwords; each
-- wrong password past the threshold holds its logins off for a delay that
-- doubles, up to a cap. NULL: no temporary lock.
ALTER TABLE users ADD COLUMN locked_until TEXT;
