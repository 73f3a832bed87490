package sqlstore

import (
	"strings"
	"testing"

	"github.com/roster/roster/internal/store/sqlbuild"
)

// TestInsertEmailsStatement holds the emails' insert, made once for the
// usual counts, to the placeholders its arguments take, in order.
func TestInsertEmailsStatement(t *testing.T) {
	for n := 1; n <= 25; n++ {
		args := sqlbuild.Args{"user"}
		rows := make([]string, n)
		for i := range rows {
			ph := make([]string, emailColumns)
			for j := range ph {
				ph[j] = args.Add(j)
			}
			rows[i] = "($1, " + strings.Join(ph, ", ") + ")"
		}
		want := "INSERT INTO user_emails (user_id, ordinal, value, value_lower, type, type_lower, is_primary, display) VALUES " +
			strings.Join(rows, ", ")
		if got := insertEmailsStatement(n); got != want {
			t.Errorf("insertEmailsStatement(%d) = %q, want %q", n, got, want)
		}
	}
}
