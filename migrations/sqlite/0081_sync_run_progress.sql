-- The progress of a running run (phase, objects seen, planned and applied,
-- rate), written by the replica that runs it about once a second so that
-- every replica's API shows it; the last value stays with the ended run.
ALTER TABLE sync_runs ADD COLUMN progress TEXT;
