-- A guard for updates held for the commit (see the PostgreSQL step of the
-- same number). SQLite sends every statement when it is made and checks
-- the version from the update's answer: it keeps its schema; this step
-- exists so that both dialects count the same steps.
SELECT 1;
