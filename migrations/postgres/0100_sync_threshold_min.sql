-- The counts a run's deprovisions, group deletions and membership removals
-- must pass, besides their share, to hold it: in a small directory one
-- deletion is a large share. 0 holds on the share alone.
ALTER TABLE sync_connectors ADD COLUMN threshold_min INTEGER NOT NULL DEFAULT 10;
ALTER TABLE sync_connectors ADD COLUMN group_threshold_min INTEGER NOT NULL DEFAULT 10;
ALTER TABLE sync_connectors ADD COLUMN member_threshold_min INTEGER NOT NULL DEFAULT 100;
