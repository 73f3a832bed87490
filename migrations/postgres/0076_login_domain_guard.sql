-- roster_check_login_domain fails its statement, and so the transaction,
-- when another organization than org has verified the email domain dom: a
-- user's login email may not be on it. Creating a user (or changing its
-- login email) sends the check with the insert and the commit instead of
-- asking first and waiting for the answer, which cost a SCIM create one
-- round trip of its two. SQLSTATE RS002 is Roster's own; the store reads
-- it, with the domain in DETAIL, as that refusal.
CREATE FUNCTION roster_check_login_domain(org text, dom text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM org_domains WHERE domain = dom AND verified AND org_id <> org) THEN
		RAISE EXCEPTION 'the email domain is verified by another organization'
			USING ERRCODE = 'RS002', DETAIL = dom;
	END IF;
	RETURN true;
END
$$;
