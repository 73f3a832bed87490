package importer

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roster/roster/internal/directory"
)

func newTestImporter(d *fakeDirectory) *Importer {
	return New(d, &fakeInviter{}, Config{BatchSize: 3}, nil)
}

// problemsAt renders problems as "cell: message" for comparison.
func problemsAt(ps []Problem) []string {
	out := []string{}
	for _, p := range ps {
		where := p.Cell
		if where == "" {
			where = "row " + itoa(p.Row)
		}
		out = append(out, where+": "+p.Message)
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestPreviewRowProblems(t *testing.T) {
	org := testOrg()
	cases := []struct {
		name string
		row  []string
		want []string
	}{
		{"a complete row has no problem", []string{"ann@acme.com", "Ann", "Lee", "org_admin", "B1", "3", "yes", "2024-02-29"}, []string{}},
		{"a role is read regardless of case and spaces", []string{"ann@acme.com", "Ann", "Lee", "Org Admin", "B1", "", "", ""}, []string{}},
		{"a missing userName is reported", []string{"", "Ann", "", "", "B1", "", "", ""}, []string{"A2: userName is required"}},
		{"a userName that is not an email is fine", []string{"ann at acme", "", "", "", "B1", "", "", ""}, []string{}},
		{"an over-long userName is reported", []string{strings.Repeat("j", 257), "", "", "", "B1", "", "", ""}, []string{"A2: userName is longer than 256 characters"}},
		{"an unknown role is reported", []string{"ann@acme.com", "", "", "boss", "B1", "", "", ""}, []string{`D2: role "boss" is not one of user, org_admin, org_viewer, billing_admin`}},
		{"a required property left blank is reported", []string{"ann@acme.com", "", "", "", "", "", "", ""}, []string{"E2: badge is required"}},
		{"typed properties are checked", []string{"ann@acme.com", "", "", "", "B1", "three", "maybe", "2023-02-29"},
			[]string{`F2: "three" is not a number`, `G2: "maybe" is not true or false`, `H2: "2023-02-29" is not a date (YYYY-MM-DD)`}},
		{"control characters are refused", []string{"ann@acme.com", "Ann\x07", "", "", "B1", "", "", ""}, []string{"B2: line breaks, tabs and other control characters are not allowed"}},
		{"an over-long name is refused", []string{"ann@acme.com", strings.Repeat("a", 1025), "", "", "B1", "", "", ""}, []string{"B2: longer than 1024 characters"}},
		{"the template's example row is refused", []string{"Jane.Doe@example.com", "", "", "", "B1", "", "", ""}, []string{"A2: this is the template's example row; delete it"}},
		{"a value past the last header is refused", []string{"ann@acme.com", "", "", "", "B1", "", "", "", "extra"}, []string{"I2: a value in a column without a known header"}},
		{"a formula is text", []string{"ann@acme.com", "=cmd|' /C calc'!A0", "", "", "B1", "", "", ""}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im := newTestImporter(newFakeDirectory(org))
			sum, err := im.Preview(context.Background(), org.ID, csvFile(t, header, c.row), ModeCreate)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, problemsAt(sum.Problems)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPreviewHeaderProblems(t *testing.T) {
	org := testOrg()
	cases := []struct {
		name   string
		header []string
		mode   Mode
		want   []string
	}{
		{"headers are matched regardless of case, spaces and separators", []string{"User Name", "given_name", "FAMILY-NAME", "Badge Number", "properties.floor"}, ModeCreate, []string{}},
		{"an unknown column is reported", []string{"userName", "badge", "shoeSize"}, ModeCreate, []string{`C1: unknown column "shoeSize"`}},
		{"a column given twice is reported", []string{"userName", "badge", "Given Name", "givenName"}, ModeCreate, []string{`D1: column "givenName" is the same as column "Given Name" (C1)`}},
		{"a missing userName column is reported", []string{"givenName", "badge"}, ModeCreate, []string{"row 1: the userName column is missing"}},
		{"a missing required property column is reported for creates", []string{"userName"}, ModeUpsert, []string{"row 1: the column of the required property \"badge\" is missing"}},
		{"a missing required property column is fine for updates", []string{"userName"}, ModeUpdate, []string{}},
		{"a blank header amid columns is reported", []string{"userName", "", "badge"}, ModeCreate, []string{"B1: this column has no header"}},
		{"export-only columns are ignored", []string{"id", "userName", "badge", "status", "lastLoginAt"}, ModeCreate, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im := newTestImporter(newFakeDirectory(org))
			sum, err := im.Preview(context.Background(), org.ID, csvFile(t, c.header), c.mode)
			if err != nil {
				t.Fatal(err)
			}
			got := problemsAt(sum.Problems)
			if len(got) > 0 {
				got = got[:len(got)-1] // the list of the expected columns
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPreviewAgainstTheDirectory(t *testing.T) {
	org := testOrg()
	other := &directory.Org{ID: "org-2", Slug: "globex", Name: "Globex",
		Domains: []directory.Domain{{Name: "globex.com", Primary: true, Verified: true, VerifiedBy: directory.VerifiedByDNS}}}
	d := newFakeDirectory(org, other)
	d.add(&directory.User{OrgID: org.ID, UserName: "same@acme.com", GivenName: "Sam", Properties: map[string]any{"badge": "B1"}})
	d.add(&directory.User{OrgID: org.ID, UserName: "moved@acme.com", GivenName: "Mo", Properties: map[string]any{"badge": "B2"}})
	d.add(&directory.User{OrgID: org.ID, UserName: "gone@acme.com", Status: directory.StatusDeleted})
	d.add(&directory.User{OrgID: org.ID, UserName: "ldap@acme.com", GivenName: "Lou", Source: directory.SourceLDAP})
	d.add(&directory.User{OrgID: other.ID, UserName: "theirs@globex.com"})
	im := newTestImporter(d)
	rows := [][]string{
		{"userName", "givenName", "role", "badge", "externalId"},
		{"new@acme.com", "Nia", "", "B9", "x1"},
		{"SAME@acme.com", "Sam", "", "B1", ""},
		{"moved@acme.com", "Maureen", "", "", ""},
		{"gone@acme.com", "", "", "B3", ""},
		{"ldap@acme.com", "Louis", "", "", ""},
		{"ldap@acme.com", "", "org_viewer", "", ""},
		{"theirs@globex.com", "", "", "B4", ""},
		{"new@ACME.com", "", "", "B5", "x1"},
		{"", "", "", "", ""},
	}
	cases := []struct {
		mode     Mode
		want     []string
		counts   [3]int // creates, updates, unchanged
		rowsRead int
	}{
		{ModeCreate, []string{
			"A3: a user with this userName already exists (import in update mode to change it)",
			"A4: a user with this userName already exists (import in update mode to change it)",
			"A6: a user with this userName already exists (import in update mode to change it)",
			`A7: userName "ldap@acme.com" is also on row 6`,
			"A8: the email domain globex.com is verified by another organization; use an email on a domain of this organization",
			`A9: userName "new@ACME.com" is also on row 2`, `E9: externalId "x1" is also on row 2`,
		}, [3]int{2, 0, 0}, 8},
		{ModeUpdate, []string{
			"A2: no user with this userName in the organization",
			"A5: the user with this userName is deleted; restore it first",
			"B6: the user is managed by ldap, which owns givenName; change it there",
			`A7: userName "ldap@acme.com" is also on row 6`,
			"A8: no user with this userName in the organization",
			`A9: userName "new@ACME.com" is also on row 2`, `E9: externalId "x1" is also on row 2`,
		}, [3]int{0, 1, 1}, 8},
		{ModeUpsert, []string{
			"B6: the user is managed by ldap, which owns givenName; change it there",
			`A7: userName "ldap@acme.com" is also on row 6`,
			"A8: the email domain globex.com is verified by another organization; use an email on a domain of this organization",
			`A9: userName "new@ACME.com" is also on row 2`, `E9: externalId "x1" is also on row 2`,
		}, [3]int{2, 1, 1}, 8},
	}
	for _, c := range cases {
		t.Run("in "+string(c.mode)+" mode", func(t *testing.T) {
			sum, err := im.Preview(context.Background(), org.ID, csvFile(t, rows...), c.mode)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, problemsAt(sum.Problems)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
			if got := [3]int{sum.Creates, sum.Updates, sum.Unchanged}; got != c.counts || sum.Rows != c.rowsRead {
				t.Fatalf("creates, updates, unchanged = %v, rows %d; want %v, %d", got, sum.Rows, c.counts, c.rowsRead)
			}
		})
	}
	t.Run("the directory is asked once per batch, not once per row", func(t *testing.T) {
		before := d.lookups
		if _, err := im.Preview(context.Background(), org.ID, csvFile(t, rows...), ModeUpsert); err != nil {
			t.Fatal(err)
		}
		if n := d.lookups - before; n != 3 { // 8 rows in batches of 3
			t.Fatalf("%d lookups", n)
		}
	})
	t.Run("a role change on a directory's user is allowed: roles are Roster's", func(t *testing.T) {
		sum, err := im.Preview(context.Background(), org.ID, csvFile(t, []string{"userName", "role"}, []string{"ldap@acme.com", "org_viewer"}), ModeUpdate)
		if err != nil || !sum.OK() || sum.Updates != 1 {
			t.Fatalf("got %+v, %v", sum, err)
		}
	})
}

func TestPreviewCapsTheProblemList(t *testing.T) {
	org := testOrg()
	rows := [][]string{{"userName", "badge"}}
	for range MaxProblems + 10 {
		rows = append(rows, []string{strings.Repeat("x", 257), "B"})
	}
	sum, err := newTestImporter(newFakeDirectory(org)).Preview(context.Background(), org.ID, csvFile(t, rows...), ModeCreate)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Problems) != MaxProblems || sum.ProblemCount != MaxProblems+10 {
		t.Fatalf("listed %d of %d", len(sum.Problems), sum.ProblemCount)
	}
}
