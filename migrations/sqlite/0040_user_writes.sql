-- Cheaper user writes (see the PostgreSQL step of the same number). SQLite
-- takes no row locks for foreign keys and has no fill factor: it keeps its
-- schema; this step exists so that both dialects count the same steps.
SELECT 1;
