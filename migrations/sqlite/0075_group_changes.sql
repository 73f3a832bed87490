-- Deleting or restoring a user changes the members its groups show, and so
-- their meta.version and lastModified. Such a change is a row of its own
-- here, inserted and never updated, rather than a write of each group's
-- row (which, on PostgreSQL, made concurrent deletions of one group's
-- members queue for that row's lock). A group's version is its row's plus
-- its rows here (its lastModified the latest of both); the next write of
-- the group's row folds them into it and deletes them. The two dialects
-- keep the same tables.
CREATE TABLE group_changes (
    group_id   TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    changed_at TEXT NOT NULL
) STRICT;

CREATE INDEX group_changes_group_idx ON group_changes (group_id, changed_at);
