-- The users list's search (q=) is a case-insensitive substring search over
-- first name, last name, email and userName: lower(column) LIKE '%text%'.
-- A B-tree cannot serve a pattern that starts with a wildcard, so at
-- 100,000 users every search read the whole organization. pg_trgm's GIN
-- trigram indexes serve such patterns (of three characters or more) on
-- exactly the expressions the filter compiles to, so the queries stay as
-- they are.
--
-- pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's
-- owner may create it. It lives in one schema of the database, public
-- unless an operator already put it elsewhere, and the indexes name its
-- operator class by that schema, so that they build whatever the
-- search_path (each test runs in a schema of its own). The transaction
-- lock keeps migrations of several schemas of one database from creating
-- the extension at the same time.
--
-- A GIN index puts new entries in a pending list that every search reads
-- whole until vacuum (or Store.Analyze, after a bulk load) merges it: the
-- default 4 MB of it per index made a search at 100,000 freshly imported
-- users take 40-100 ms. 256 kB keeps that read to a few milliseconds and
-- still batches the index's writes.
SELECT pg_advisory_xact_lock(hashtextextended('roster.extension.pg_trgm', 0));
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

DO $$
DECLARE
    ops text := (SELECT quote_ident(n.nspname) || '.gin_trgm_ops'
                   FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                  WHERE e.extname = 'pg_trgm');
BEGIN
    EXECUTE format('CREATE INDEX users_search_given_name_idx ON users USING gin (lower(given_name) %s) WITH (gin_pending_list_limit = 256)', ops);
    EXECUTE format('CREATE INDEX users_search_family_name_idx ON users USING gin (lower(family_name) %s) WITH (gin_pending_list_limit = 256)', ops);
    EXECUTE format('CREATE INDEX users_search_email_idx ON users USING gin (email_lower %s) WITH (gin_pending_list_limit = 256)', ops);
    EXECUTE format('CREATE INDEX users_search_user_name_idx ON users USING gin (user_name_lower %s) WITH (gin_pending_list_limit = 256)', ops);
END
$$;
