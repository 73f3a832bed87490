-- One trigram index for the users search on PostgreSQL (see the step of the
-- same number there). SQLite's search is one FTS5 table already
-- (users_search, migration 0085); this step exists so that both dialects
-- count the same steps.
SELECT 1;
