-- Scheduled jobs and the inactivity pass.

-- The latest tick of each scheduled job that a replica claimed, so that a
-- tick runs once across replicas even when their clocks differ, and how
-- that run ended. One row per job name.
CREATE TABLE job_ticks (
    job         text        NOT NULL PRIMARY KEY,
    tick        timestamptz NOT NULL,
    runner      text        NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    error       text        NOT NULL DEFAULT ''
);

-- Inactivity warnings sent: a user is warned once per last activity
-- (basis_at); a login moves its activity on and makes it eligible again.
CREATE TABLE inactivity_warnings (
    user_id   text        NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    org_id    text        NOT NULL,
    basis_at  timestamptz NOT NULL,
    warned_at timestamptz NOT NULL
);

-- The inactivity pass and its warnings read an organization's active users
-- by last activity: a range scan of this index, not a walk over every user.
-- The expression must match the queries' text.
CREATE INDEX users_active_activity_idx ON users (org_id, (coalesce(last_login_at, activated_at, created_at)))
    WHERE status = 'active';
