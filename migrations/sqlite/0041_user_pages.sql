-- Pages of an organization's users skip deleted users; with the status in
-- users_org_idx, SQLite reads the walk past the offset from the index
-- alone (see the PostgreSQL step of the same number).
DROP INDEX users_org_idx;
CREATE INDEX users_org_idx ON users (org_id, id, status);
