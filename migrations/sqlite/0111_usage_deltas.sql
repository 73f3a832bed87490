-- Usage counted on write, so that the daily snapshot does not read every
-- user. Each write that creates, deletes or moves a user between
-- (organization, status, role, source) appends +1 / -1 rows to
-- usage_deltas in the same transaction (the triggers below). The usage
-- job folds the log into usage_counts (sum of the deltas, which it then
-- deletes) and copies usage_counts into the day's snapshot: its cost is
-- the number of deltas and counts, not the number of users.
-- usage_recount records the last full recount (the first snapshot, then
-- weekly, or when a fold finds a negative count), which rebuilds
-- usage_counts from the users table.
CREATE TABLE usage_deltas (
    org_id TEXT    NOT NULL,
    status TEXT    NOT NULL,
    role   TEXT    NOT NULL,
    source TEXT    NOT NULL,
    delta  INTEGER NOT NULL
) STRICT;

CREATE TABLE usage_counts (
    org_id TEXT    NOT NULL,
    status TEXT    NOT NULL,
    role   TEXT    NOT NULL,
    source TEXT    NOT NULL,
    users  INTEGER NOT NULL,
    PRIMARY KEY (org_id, status, role, source)
) STRICT;

CREATE TABLE usage_recount (
    id  INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    day TEXT    NOT NULL
) STRICT;

CREATE TRIGGER users_usage_insert AFTER INSERT ON users BEGIN
    INSERT INTO usage_deltas (org_id, status, role, source, delta) VALUES (NEW.org_id, NEW.status, NEW.role, NEW.source, 1);
END;

CREATE TRIGGER users_usage_delete AFTER DELETE ON users BEGIN
    INSERT INTO usage_deltas (org_id, status, role, source, delta) VALUES (OLD.org_id, OLD.status, OLD.role, OLD.source, -1);
END;

CREATE TRIGGER users_usage_update AFTER UPDATE OF org_id, status, role, source ON users
    WHEN OLD.org_id IS NOT NEW.org_id OR OLD.status IS NOT NEW.status OR OLD.role IS NOT NEW.role OR OLD.source IS NOT NEW.source
BEGIN
    INSERT INTO usage_deltas (org_id, status, role, source, delta)
    VALUES (OLD.org_id, OLD.status, OLD.role, OLD.source, -1), (NEW.org_id, NEW.status, NEW.role, NEW.source, 1);
END;
