package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// emailsUnnest writes the emails of many users in one statement on
// PostgreSQL, one array per column, where insertEmails takes a statement
// a user: a batch of 1,000 directory users, each with the mail its
// directory gives, is 1,000 statements for the server to parse, bind and
// run otherwise.
var emailsUnnest = func() *unnestInsert {
	// The non-text columns of user_emails, which no other unnest insert
	// has.
	unnestTypes["ordinal"] = "integer"
	unnestTypes["is_primary"] = "boolean"
	return newUnnestInsert(`INSERT INTO user_emails (user_id, ordinal, value, value_lower, type, type_lower, is_primary, display) VALUES`)
}()

// insertEmailsOf writes the emails of users: on PostgreSQL, unnestRows at
// a time; elsewhere a statement a user (insertEmails). Nothing reads the
// statements' results, so a transaction may send them later.
func insertEmailsOf(ctx context.Context, db DB, d sqlbuild.Dialect, users []*directory.User) error {
	if d != sqlbuild.Postgres {
		for _, u := range users {
			if err := insertEmails(ctx, db, u); err != nil {
				return err
			}
		}
		return nil
	}
	var cols [8]textArray
	rows := 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		args := make([]any, len(cols))
		single := placeText(args, cols[:], len(cols))
		cols, rows = [8]textArray{}, 0
		return execLater(ctx, db, emailsUnnest.sql(single), args...)
	}
	for _, u := range users {
		for i, e := range u.Emails {
			cols[0].add(u.ID)
			cols[1].add(strconv.Itoa(i))
			cols[2].add(e.Value)
			cols[3].add(strings.ToLower(e.Value))
			cols[4].add(e.Type)
			cols[5].add(strings.ToLower(e.Type))
			cols[6].add(strconv.FormatBool(e.Primary))
			cols[7].add(e.Display)
			if rows++; rows == unnestRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}
