package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/racedetect"
	"github.com/roster/roster/internal/store/sqlbuild"
	"github.com/roster/roster/internal/store/storetest"
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
		directory.UserEmail:      "users_org_email_idx",
		directory.UserGivenName:  "users_org_given_name_idx",
		directory.UserFamilyName: "users_org_family_name_idx",
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

// The users list's search (q=) of three characters or more starts from
// one lookup of the trigram index users_search (not one per column, nor
// the organization's users).
func TestUserSearchUsesTheTrigramIndex(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("3,300 users through FTS5 take minutes under -race; make test runs this without it")
	}
	path := filepath.Join(t.TempDir(), "roster.db")
	s := open(t, path)
	orgID := storetest.SeedSearchOrg(t, s, 3000)
	if err := s.Analyze(context.Background()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	for _, q := range []string{"Hopper0042", "u0002999-0@search", "grace0001", `no "such" person`} {
		query, args := storetest.SearchPageQuery(t, sqlbuild.SQLite, orgID, q)
		plan, err := queryPlan(db, query, args...)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if !strings.HasPrefix(text, "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)") ||
			!strings.Contains(text, "SCAN users_search VIRTUAL TABLE INDEX") {
			t.Errorf("q=%s does not start from users_search:\n%s", q, text)
		}
	}
}
