-- Who set a user's role: 'mapping' when the organization's role mappings
-- set it from the user's SCIM roles, '' when an admin (or the default) did.
-- Only a role the mappings set is taken back when the user's SCIM roles no
-- longer map to any.
ALTER TABLE users ADD COLUMN role_set_by text NOT NULL DEFAULT '';
