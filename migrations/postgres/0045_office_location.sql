-- officeLocation: where a user works (Graph officeLocation, AD and LDAP
-- physicalDeliveryOfficeName), in Roster's SCIM extension.
ALTER TABLE users ADD COLUMN office_location text NOT NULL DEFAULT '';
