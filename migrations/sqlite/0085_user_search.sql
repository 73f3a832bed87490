-- The users list's search (q=) is a case-insensitive substring search over
-- first name, last name, email and userName: lower(column) LIKE '%text%',
-- which no B-tree serves, so at 100,000 users every search read the whole
-- organization. users_search is an FTS5 index of those four columns with
-- the trigram tokenizer, which finds the rows holding a substring of three
-- characters or more (folding case). The filter compiler narrows each such
-- LIKE to the rows the index finds (see sqlbuild's match), and keeps the
-- LIKE itself, so that the search means what it meant.
--
-- It is an external-content table: it holds the index only, the text stays
-- in users, and its rowids are the users' rowids. The triggers keep it in
-- step with every write to users.
CREATE VIRTUAL TABLE users_search USING fts5 (
    given_name, family_name, email_lower, user_name_lower,
    content = 'users', content_rowid = 'rowid', tokenize = 'trigram'
);

INSERT INTO users_search (users_search) VALUES ('rebuild');

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, given_name, family_name, email_lower, user_name_lower)
    VALUES (new.rowid, new.given_name, new.family_name, new.email_lower, new.user_name_lower);
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, given_name, family_name, email_lower, user_name_lower)
    VALUES ('delete', old.rowid, old.given_name, old.family_name, old.email_lower, old.user_name_lower);
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF given_name, family_name, email_lower, user_name_lower ON users
WHEN old.given_name IS NOT new.given_name OR old.family_name IS NOT new.family_name
  OR old.email_lower IS NOT new.email_lower OR old.user_name_lower IS NOT new.user_name_lower
BEGIN
    INSERT INTO users_search (users_search, rowid, given_name, family_name, email_lower, user_name_lower)
    VALUES ('delete', old.rowid, old.given_name, old.family_name, old.email_lower, old.user_name_lower);
    INSERT INTO users_search (rowid, given_name, family_name, email_lower, user_name_lower)
    VALUES (new.rowid, new.given_name, new.family_name, new.email_lower, new.user_name_lower);
END;
