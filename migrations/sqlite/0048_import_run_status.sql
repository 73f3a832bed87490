-- An import's run is recorded when its commit starts, as running, and
-- becomes committed in the very transaction that writes the users: a run
-- left running by a process that died applied nothing, and is then
-- marked failed. Runs recorded before this step were all committed.
ALTER TABLE import_runs ADD COLUMN status text NOT NULL DEFAULT 'committed';
