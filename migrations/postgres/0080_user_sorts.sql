-- The console's users list sorts an organization's users by email, first
-- or last name, status or last login, a page at a time (keyset). Each
-- index holds the list's own sort key (see sqlbuild.Order: text keys are
-- lower-cased, an empty value sorts as NULL, NULLs last ascending), then
-- the id, so that a page is a walk of the index, forwards or backwards,
-- instead of a sort of every user: at 100,000 users, sorting by email
-- took 130 ms a page. They hold the users the list shows (deleted ones
-- aside), which also keeps other lookups from taking them for their own.
CREATE INDEX users_org_sort_email_idx ON users (org_id, NULLIF(email_lower, ''), id) WHERE status <> 'deleted';
CREATE INDEX users_org_sort_given_name_idx ON users (org_id, NULLIF(lower(given_name), ''), id) WHERE status <> 'deleted';
CREATE INDEX users_org_sort_family_name_idx ON users (org_id, NULLIF(lower(family_name), ''), id) WHERE status <> 'deleted';
CREATE INDEX users_org_sort_status_idx ON users (org_id, status, id) WHERE status <> 'deleted';
CREATE INDEX users_org_sort_last_login_idx ON users (org_id, last_login_at, id) WHERE status <> 'deleted';
