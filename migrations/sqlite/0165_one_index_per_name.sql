-- One B-tree index per attribute where there were two (see the step of the
-- same number for PostgreSQL): first name, last name and email are
-- indexed once, on the sorted pages' key NULLIF(x, '') for every status,
-- which filters use as well.
DROP INDEX users_org_family_name_idx;
DROP INDEX users_org_given_name_idx;
DROP INDEX users_org_email_idx;
DROP INDEX users_org_sort_family_name_idx;
DROP INDEX users_org_sort_given_name_idx;
DROP INDEX users_org_sort_email_idx;
CREATE INDEX users_org_family_name_idx ON users (org_id, NULLIF(lower(family_name), ''), id);
CREATE INDEX users_org_given_name_idx ON users (org_id, NULLIF(lower(given_name), ''), id);
CREATE INDEX users_org_email_idx ON users (org_id, NULLIF(email_lower, ''), id);
