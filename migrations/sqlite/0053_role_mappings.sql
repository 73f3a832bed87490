-- An organization's mappings of SCIM role values to Roster roles: a JSON
-- array of {"value", "role"}, read with the organization.
ALTER TABLE organizations ADD COLUMN role_mappings TEXT NOT NULL DEFAULT '[]';
