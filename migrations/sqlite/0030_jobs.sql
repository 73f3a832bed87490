-- Scheduled jobs and the inactivity pass.

-- The latest tick of each scheduled job that a run claimed, and how that
-- run ended. One row per job name.
CREATE TABLE job_ticks (
    job         TEXT NOT NULL PRIMARY KEY,
    tick        TEXT NOT NULL,
    runner      TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    error       TEXT NOT NULL DEFAULT ''
) STRICT;

-- Inactivity warnings sent: a user is warned once per last activity
-- (basis_at); a login moves its activity on and makes it eligible again.
CREATE TABLE inactivity_warnings (
    user_id   TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    org_id    TEXT NOT NULL,
    basis_at  TEXT NOT NULL,
    warned_at TEXT NOT NULL
) STRICT;

-- The inactivity pass and its warnings read an organization's active users
-- by last activity. The expression must match the queries' text.
CREATE INDEX users_active_activity_idx ON users (org_id, coalesce(last_login_at, activated_at, created_at))
    WHERE status = 'active';
