package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// A page of an organization's users sorted by a key the console's list
// offers, either way, is a walk of an index, not a sort of every user.
func TestUserSortsUseAnIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	open(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	for attr, index := range map[directory.Attr]string{
		directory.UserEmail:      "users_org_sort_email_idx",
		directory.UserGivenName:  "users_org_sort_given_name_idx",
		directory.UserFamilyName: "users_org_sort_family_name_idx",
		directory.UserStatus:     "users_org_sort_status_idx",
		directory.UserLastLogin:  "users_org_sort_last_login_idx",
	} {
		for _, desc := range []bool{false, true} {
			order, err := sqlbuild.SQLite.Order(sqlbuild.Users, directory.Sort{Attr: attr, Desc: desc})
			if err != nil {
				t.Fatal(err)
			}
			plan, err := queryPlan(db, "SELECT u.id FROM users u WHERE u.org_id = $1 AND u.status <> 'deleted' ORDER BY "+
				order.By()+" LIMIT 51", "org")
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			if !strings.Contains(text, index) || strings.Contains(text, "TEMP B-TREE") {
				t.Errorf("%s (desc %v) sorts without %s:\n%s", attr, desc, index, text)
			}
		}
	}
}
