-- Users: the version of the linked user after the connector last wrote
-- it (or found it as the directory has it). A user at another version was
-- written since by someone else, and a full run compares its attributes
-- with the directory's and puts back those that drifted. 0 (links made
-- before) compares once.
ALTER TABLE sync_links ADD COLUMN user_version bigint NOT NULL DEFAULT 0;
