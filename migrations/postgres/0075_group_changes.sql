-- Deleting or restoring a user changes the members its groups show, and so
-- their meta.version and lastModified. Bumping each group's row for it made
-- concurrent deletions of one group's members queue for that row's lock
-- until each commit was flushed: 16 clients deleting users of one group
-- managed about half the deletions per second they did before. Such a
-- change is now a row of its own here, inserted and never updated, and a
-- group's version is its row's plus its rows here (its lastModified the
-- latest of both). The next write of the group's row (a membership change,
-- a rename) folds them into it and deletes them. No foreign key: it would
-- take a share lock on the group's row (see 0042); a group is deleted with
-- its rows.
CREATE TABLE group_changes (
    group_id   text        NOT NULL,
    org_id     text        NOT NULL,
    changed_at timestamptz NOT NULL
);

CREATE INDEX group_changes_group_idx ON group_changes (group_id, changed_at);
