package importer

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

// TestStandardColumnsComeFromTheCatalogue pins the columns the catalogue
// yields to those written out by hand before it existed: the template's
// headers, order, help and examples do not move.
func TestStandardColumnsComeFromTheCatalogue(t *testing.T) {
	type col struct{ header, attr, help, example string }
	want := []col{
		{"userName", "userName", "Identifier, unique in the organization; any text. Required.", exampleUserName},
		{"email", "email", "Login email. Defaults to userName if that is an email.", ""},
		{"givenName", "name.givenName", "First name.", "Jane"},
		{"familyName", "name.familyName", "Last name.", "Doe"},
		{"displayName", "displayName", "Name shown in lists.", "Jane Doe"},
		{"role", "role", "user, org_admin, org_viewer or billing_admin. Defaults to user.", "user"},
		{"authMethod", "authMethod", "local (password) or sso (the organization's identity provider). Defaults to local.", "local"},
		{"title", "title", "Job title.", "Engineer"},
		{"phone", "phone", "Phone number.", "+1 555 0100"},
		{"externalId", "externalId", "Identifier in another system.", ""},
		{"employeeNumber", "enterprise.employeeNumber", "Employee number.", "E1001"},
		{"costCenter", "enterprise.costCenter", "Cost center.", ""},
		{"organization", "enterprise.organization", "Organization (company) name.", ""},
		{"division", "enterprise.division", "Division.", ""},
		{"department", "enterprise.department", "Department.", "Engineering"},
	}
	known := map[string]bool{}
	for _, w := range want {
		known[w.header] = true
	}
	var got []col
	for i, sc := range standardColumns {
		if sc.field != field(i+1) {
			t.Errorf("%s: field %d at position %d", sc.header, sc.field, i)
		}
		if known[sc.header] { // attributes added since may come anywhere
			got = append(got, col{sc.header, sc.attr, sc.help, sc.example})
		}
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(col{})); diff != "" {
		t.Errorf("standard columns (-want +got):\n%s", diff)
	}
}

// TestEveryColumnReachesItsAttribute writes each built-in column of a user
// through the importer's accessor and reads it through the catalogue's.
func TestEveryColumnReachesItsAttribute(t *testing.T) {
	for _, sc := range standardColumns {
		var u directory.User
		*userText(&u, sc.field) = "v-" + sc.header
		a, ok := directory.UserAttribute(directory.Attr(sc.attr))
		if !ok {
			t.Fatalf("%s: %q is not a catalogue attribute", sc.header, sc.attr)
		}
		if a.Text != nil && *a.Text(&u) != "v-"+sc.header {
			t.Errorf("%s: the importer and the catalogue reach different fields", sc.header)
		}
	}
}
