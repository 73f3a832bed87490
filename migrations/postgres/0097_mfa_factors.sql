-- The second factors an organization allows (a comma-separated list of
-- totp, sms, passkey; every organization allowed TOTP before there were
-- others), and the region phone numbers without a country code are read in.
ALTER TABLE organizations ADD COLUMN mfa_factors text NOT NULL DEFAULT 'totp';
ALTER TABLE organizations ADD COLUMN phone_region text NOT NULL DEFAULT '';
