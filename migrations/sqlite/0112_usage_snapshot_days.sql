-- A snapshot first deletes the rows of its day (a snapshot of that day
-- taken earlier): by day, not by reading every day kept.
CREATE INDEX usage_snapshots_day_idx ON usage_snapshots (day);
