-- roster_updated_one fails its statement, and so the transaction, unless n
-- is 1. A transaction that updates a user it did not read (the service had
-- a copy of it from an earlier request) sends the update with its commit,
-- without waiting for the answer: the update counts the rows it changed
-- through this function, so that a user changed meanwhile (no row at the
-- version the copy had) aborts the commit instead of committing the audit
-- event of an update that did not happen. SQLSTATE RS001 is Roster's own;
-- the store reads it as a stale version.
CREATE FUNCTION roster_updated_one(n bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
	IF n <> 1 THEN
		RAISE EXCEPTION 'the row changed since it was read' USING ERRCODE = 'RS001';
	END IF;
	RETURN n;
END
$$;
