-- A guard for login email domains held for the commit (see the PostgreSQL
-- step of the same number). SQLite sends every statement when it is made
-- and reads the domain's owner from its answer: it keeps its schema; this
-- step exists so that both dialects count the same steps.
SELECT 1;
