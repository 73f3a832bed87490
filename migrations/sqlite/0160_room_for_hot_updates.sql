-- Room in PostgreSQL's pages for updates that write no index entry (see
-- the step of the same number there). SQLite's B-tree tables have no such
-- setting; this step exists so that both dialects count the same steps.
SELECT 1;
