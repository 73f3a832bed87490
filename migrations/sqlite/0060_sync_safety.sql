-- Directory sync safety: a share of groups deleted and of memberships
-- removed past which a run waits for approval (the threshold column is the
-- share of users deprovisioned), and the reconcile schedule: a scheduled
-- run reads the whole directory when the schedule has ticked since the
-- last full run applied (reconciled_at).
ALTER TABLE sync_connectors ADD COLUMN group_threshold REAL NOT NULL DEFAULT 0.2;
ALTER TABLE sync_connectors ADD COLUMN member_threshold REAL NOT NULL DEFAULT 0.2;
ALTER TABLE sync_connectors ADD COLUMN reconcile TEXT NOT NULL DEFAULT '@daily';
ALTER TABLE sync_connectors ADD COLUMN reconciled_at TEXT;
