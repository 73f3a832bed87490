-- The users search (q=) and the substring filters of SCIM (co, sw, ew on
-- first name, last name, email and userName) read one trigram GIN index
-- over the four columns together, instead of one index each (migration
-- 0085).
--
-- Every insert, and every update of an indexed column (a status change,
-- the inactivity pass), writes each of a row's trigrams into a GIN index:
-- four indexes wrote about half of the bytes of a user's whole insert
-- (WAL of 100,000 users: 741 MB with them, 393 MB without). One index over
-- the columns joined by a space holds the same trigrams once (pg_trgm
-- splits words at spaces, and a userName and an email often share theirs),
-- so it writes a fraction of that.
--
-- The filter keeps its condition on the column it names and adds the
-- joined expression's LIKE '%text%', which every row that matches the
-- column also matches, for the index to find (internal/store/sqlbuild).
-- The expression must read exactly as searchText there.
--
-- Equality lookups stop at B-trees: pg_trgm's GIN indexes also serve
-- equality, and PostgreSQL chose them for a batch's userName lookup of a
-- directory's first sync, at a second per batch.
--
-- One index reads one pending list: 1 MB of it is what the four lists of
-- 256 kB were, and Store.Analyze folds it in after a bulk load.
DROP INDEX users_search_given_name_idx, users_search_family_name_idx,
    users_search_email_idx, users_search_user_name_idx;

DO $$
DECLARE
    ops text := (SELECT quote_ident(n.nspname) || '.gin_trgm_ops'
                   FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                  WHERE e.extname = 'pg_trgm');
BEGIN
    EXECUTE format($f$CREATE INDEX users_search_idx ON users USING gin
        ((lower(given_name) || ' ' || lower(family_name) || ' ' || email_lower || ' ' || user_name_lower) %s)
        WITH (gin_pending_list_limit = 1024)$f$, ops);
END
$$;
