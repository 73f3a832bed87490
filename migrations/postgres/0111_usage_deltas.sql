-- Usage counted on write, so that the daily snapshot does not read every
-- user. Each write that creates, deletes or moves a user between
-- (organization, status, role, source) appends +1 / -1 rows to
-- usage_deltas in the same transaction (the triggers below). The log is
-- insert-only and has no key, so concurrent writers into one organization
-- never wait on a shared counter row. The usage job folds the log into
-- usage_counts (sum of the deltas, which it deletes in the same
-- statement) and copies usage_counts into the day's snapshot: its cost
-- is the number of deltas and counts, not the number of users.
-- usage_recount records the last full recount (the first snapshot, then
-- weekly, or when a fold finds a negative count), which rebuilds
-- usage_counts from the users table.
CREATE TABLE usage_deltas (
    org_id text    NOT NULL,
    status text    NOT NULL,
    role   text    NOT NULL,
    source text    NOT NULL,
    delta  integer NOT NULL
);

CREATE TABLE usage_counts (
    org_id text    NOT NULL,
    status text    NOT NULL,
    role   text    NOT NULL,
    source text    NOT NULL,
    users  integer NOT NULL,
    PRIMARY KEY (org_id, status, role, source)
);

CREATE TABLE usage_recount (
    id  integer NOT NULL PRIMARY KEY CHECK (id = 1),
    day text    NOT NULL
);

-- An insert logs a row per user: a row trigger costs a single-row create
-- (SCIM, the API) less than a statement trigger's transition table would.
-- Deletes (an organization's users, all at once) log one row per
-- combination and statement. Updates log only when a counted column
-- changes.
CREATE FUNCTION usage_users_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_deltas (org_id, status, role, source, delta) VALUES (NEW.org_id, NEW.status, NEW.role, NEW.source, 1);
    RETURN NULL;
END $$;

CREATE FUNCTION usage_users_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_deltas (org_id, status, role, source, delta)
    SELECT org_id, status, role, source, -count(*) FROM usage_old GROUP BY org_id, status, role, source;
    RETURN NULL;
END $$;

CREATE FUNCTION usage_users_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_deltas (org_id, status, role, source, delta)
    VALUES (OLD.org_id, OLD.status, OLD.role, OLD.source, -1), (NEW.org_id, NEW.status, NEW.role, NEW.source, 1);
    RETURN NULL;
END $$;

CREATE TRIGGER users_usage_insert AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION usage_users_inserted();
CREATE TRIGGER users_usage_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS usage_old FOR EACH STATEMENT EXECUTE FUNCTION usage_users_deleted();
CREATE TRIGGER users_usage_update AFTER UPDATE OF org_id, status, role, source ON users FOR EACH ROW
    WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.role IS DISTINCT FROM NEW.role OR OLD.source IS DISTINCT FROM NEW.source)
    EXECUTE FUNCTION usage_users_updated();
