-- The inactivity pass over a million users took minutes, not seconds,
-- for two reasons this step's indexes remove:
--
-- 1. Each batch spares the organization's most recently active org_admin,
--    found by a subquery over active org_admins by activity. No index
--    served it, so every batch read every user of the table (0.6 s at 1M
--    users, for batches of 64 to 4,096). users_active_admin_idx holds the
--    active org_admins alone, a handful of entries an organization, which
--    writes of other users never touch.
--
-- 2. Each batch read the organization's idle users from the start again.
--    An updated row leaves its old index entries behind until vacuum, so
--    batch k walked past the entries of the k-1 batches before it, or,
--    when the planner's statistics put the idle users at a third of the
--    organization, scanned the table from its first page. The pass now
--    walks users_active_activity_idx in (activity, id) order and starts
--    each batch after the last user of the one before (a keyset), so the
--    whole pass reads each idle user's entry once. The index gains id for
--    that order; users imported together share their activity.
DROP INDEX users_active_activity_idx;
CREATE INDEX users_active_activity_idx ON users (org_id, (coalesce(last_login_at, activated_at, created_at)), id)
    WHERE status = 'active';
CREATE INDEX users_active_admin_idx ON users (org_id, (coalesce(last_login_at, activated_at, created_at)), id)
    WHERE status = 'active' AND role = 'org_admin';
