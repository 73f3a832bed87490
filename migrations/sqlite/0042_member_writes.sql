-- Cheaper membership writes (see the PostgreSQL step of the same number).
-- SQLite takes no row locks for foreign keys: it keeps its schema; this
-- step exists so that both dialects count the same steps.
SELECT 1;
