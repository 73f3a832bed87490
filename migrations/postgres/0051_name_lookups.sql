-- SCIM clients look users up by family name ("name.familyName eq", as
-- identity providers' matching rules do) and by manager (the reports of
-- a user: "manager.value eq"). family_name compares regardless of case,
-- as lower(column) = lower(value) (see sqlbuild); manager ids exactly.
CREATE INDEX users_org_family_name_idx ON users (org_id, lower(family_name));
CREATE INDEX users_org_manager_idx ON users (org_id, manager_id);
