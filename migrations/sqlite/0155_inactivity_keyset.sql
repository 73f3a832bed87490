-- The inactivity pass's indexes (see the step of the same number for
-- PostgreSQL). SQLite removes an updated row's old index entries at once,
-- so its batches need no keyset; the order by (activity, id) and the
-- index of active org_admins, which every batch asks for the one it
-- spares, serve it as they serve PostgreSQL.
DROP INDEX users_active_activity_idx;
CREATE INDEX users_active_activity_idx ON users (org_id, coalesce(last_login_at, activated_at, created_at), id)
    WHERE status = 'active';
CREATE INDEX users_active_admin_idx ON users (org_id, coalesce(last_login_at, activated_at, created_at), id)
    WHERE status = 'active' AND role = 'org_admin';
