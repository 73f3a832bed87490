-- Domains are verified before they count: a verified domain belongs to one
-- organization only, while several organizations may list a domain they
-- have not verified. A domain is verified by a DNS TXT record
-- "roster-verification=<token>" or by an operator.
--
-- Every domain that exists before this step is marked verified by the
-- operator: the table's primary key made each of them exclusive to its
-- organization already, so nothing changes for them.
ALTER TABLE org_domains
    ADD COLUMN verification_token text NOT NULL DEFAULT '',
    ADD COLUMN verified boolean NOT NULL DEFAULT false,
    ADD COLUMN verified_by text NOT NULL DEFAULT '',
    ADD COLUMN verified_at timestamptz;

UPDATE org_domains SET verified = true, verified_by = 'operator', verified_at = now();

ALTER TABLE org_domains DROP CONSTRAINT org_domains_pkey;
ALTER TABLE org_domains ADD CONSTRAINT org_domains_pkey PRIMARY KEY (org_id, domain);
CREATE UNIQUE INDEX org_domains_verified_key ON org_domains (domain) WHERE verified;
