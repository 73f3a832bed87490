-- Cheaper user writes, for the rates at which identity providers push.
--
-- users.org_id is no longer a foreign key. The key's check took a KEY SHARE
-- lock on the organization's row for every user written, and concurrent
-- writers of one organization (an IdP's first push, an import) then built
-- and rewrote a MultiXact of all the others on that one row: about a fifth
-- of the database's work per SCIM create. Organizations are never deleted;
-- a single new user takes its org_id from the organization's row (an
-- unknown organization fails on NOT NULL, see sqlstore's insertUser), and
-- bulk writes (imports, syncs) read their organization first.
ALTER TABLE users DROP CONSTRAINT users_org_id_fkey;

-- Leave room on each page for an updated row, so that an update that changes
-- no indexed attribute (most SCIM PATCH and PUT requests: names, title,
-- profile, status reason) stays on its page as a heap-only tuple and writes
-- none of the table's indexes.
ALTER TABLE users SET (fillfactor = 85);
