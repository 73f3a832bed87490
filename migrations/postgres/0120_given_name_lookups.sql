-- SCIM clients match users by first name as well as last name
-- ("name.givenName eq", in identity providers' matching rules beside
-- "name.familyName eq") and by display name ("displayName eq"). Both
-- compare regardless of case, as lower(column) = lower(value) (see
-- sqlbuild), so the indexes are on that expression; without them, at
-- 1,000,000 users such a lookup read every user of the organization.
CREATE INDEX users_org_given_name_idx ON users (org_id, lower(given_name));
CREATE INDEX users_org_display_name_idx ON users (org_id, lower(display_name));
