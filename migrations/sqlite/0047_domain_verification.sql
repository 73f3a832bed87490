-- Domains are verified before they count: a verified domain belongs to one
-- organization only, while several organizations may list a domain they
-- have not verified. A domain is verified by a DNS TXT record
-- "roster-verification=<token>" or by an operator.
--
-- Every domain that exists before this step is marked verified by the
-- operator: the table's primary key made each of them exclusive to its
-- organization already, so nothing changes for them.
CREATE TABLE org_domains_new (
    org_id             TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain             TEXT    NOT NULL,
    ordinal            INTEGER NOT NULL,
    is_primary         INTEGER NOT NULL DEFAULT 0,
    -- The value of the TXT record that proves the organization controls
    -- the domain: "roster-verification=<token>".
    verification_token TEXT    NOT NULL DEFAULT '',
    verified           INTEGER NOT NULL DEFAULT 0,
    -- Who verified the domain: 'dns' or 'operator'; '' while unverified.
    verified_by        TEXT    NOT NULL DEFAULT '',
    verified_at        TEXT,
    PRIMARY KEY (org_id, domain)
) STRICT;

INSERT INTO org_domains_new (org_id, domain, ordinal, is_primary, verified, verified_by, verified_at)
SELECT org_id, domain, ordinal, is_primary, 1, 'operator', strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
FROM org_domains;

DROP TABLE org_domains;
ALTER TABLE org_domains_new RENAME TO org_domains;

CREATE INDEX org_domains_org_idx ON org_domains (org_id, ordinal);
CREATE UNIQUE INDEX org_domains_primary_key ON org_domains (org_id) WHERE is_primary;
CREATE UNIQUE INDEX org_domains_verified_key ON org_domains (domain) WHERE verified;
