package scim

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

func TestCompileUserFilter(t *testing.T) {
	d := directory.Eq
	suspended := d(directory.UserStatus, "suspended")
	work := d(directory.EmailType, "work")
	created, _ := time.Parse(time.RFC3339, "2011-05-13T04:42:34Z")
	tests := []struct {
		name, filter string
		want         directory.Expr
	}{
		{"Entra and Okta look users up by userName", `userName eq "Test_User@contoso.com"`,
			d(directory.UserUserName, "Test_User@contoso.com")},
		{"attribute names ignore case", `USERNAME eq "a@b.c" and EXTERNALID eq "x"`,
			directory.And{d(directory.UserUserName, "a@b.c"), d(directory.UserExternalID, "x")}},
		{"the core URN may prefix an attribute", `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "j"`,
			directory.Compare{Attr: directory.UserUserName, Op: directory.OpSw, Value: "j"}},
		{"ids and display names", `id eq "01900000-0000-7000-8000-000000000000" or displayName co "Jen"`,
			directory.Or{d(directory.UserID, "01900000-0000-7000-8000-000000000000"),
				directory.Compare{Attr: directory.UserDisplayName, Op: directory.OpCo, Value: "Jen"}}},
		{"name sub-attributes", `name.givenName ew "a" and name.familyName ne "b"`,
			directory.And{directory.Compare{Attr: directory.UserGivenName, Op: directory.OpEw, Value: "a"},
				directory.Compare{Attr: directory.UserFamilyName, Op: directory.OpNe, Value: "b"}}},
		{"Entra's work email lookup", `emails[type eq "work"].value eq "x@contoso.com"`,
			directory.Has{Attr: directory.UserEmails, Where: directory.And{work, d(directory.EmailValue, "x@contoso.com")}}},
		{"a value path", `emails[type eq "work" and value eq "x@contoso.com"]`,
			directory.Has{Attr: directory.UserEmails, Where: directory.And{work, d(directory.EmailValue, "x@contoso.com")}}},
		{"a multi-valued attribute alone means its value", `emails co "@contoso.com"`,
			directory.Has{Attr: directory.UserEmails, Where: directory.Compare{Attr: directory.EmailValue, Op: directory.OpCo, Value: "@contoso.com"}}},
		{"email sub-attributes", `emails.primary eq true`,
			directory.Has{Attr: directory.UserEmails, Where: d(directory.EmailPrimary, true)}},
		{"active true is not suspended", `active eq true`, directory.Not{X: suspended}},
		{"active false is suspended", `active eq false`, suspended},
		{"active ne true is suspended", `active ne true`, suspended},
		{"Entra's string booleans", `active eq "False"`, suspended},
		{"title presence", `title pr`, directory.Compare{Attr: directory.UserTitle, Op: directory.OpPr}},
		{"eq null is absence", `title eq null`, directory.Not{X: directory.Compare{Attr: directory.UserTitle, Op: directory.OpPr}}},
		{"enterprise attributes by URN", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`,
			d(directory.UserEmployeeNumber, "701984")},
		{"a number compared with a string attribute", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq 701984`,
			d(directory.UserEmployeeNumber, "701984")},
		{"the manager", `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
			d(directory.UserManager, "m")},
		{"the manager without its URN, as Entra asks", `manager eq "m"`, d(directory.UserManager, "m")},
		{"meta dates", `meta.lastModified gt "2011-05-13T04:42:34Z"`,
			directory.Compare{Attr: directory.UserLastModified, Op: directory.OpGt, Value: created}},
		{"group membership", `groups[value eq "g"]`,
			directory.Has{Attr: directory.UserGroups, Where: d(directory.MemberValue, "g")}},
		{"not", `not (department eq "Sales")`, directory.Not{X: d(directory.UserDepartment, "Sales")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := compileFilter(tt.filter, &userQueries)
			if err != nil {
				t.Fatalf("compileFilter(%q): %v", tt.filter, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("compileFilter(%q) (-want +got):\n%s", tt.filter, diff)
			}
		})
	}
}

func TestCompileGroupFilter(t *testing.T) {
	for filter, want := range map[string]directory.Expr{
		`displayName eq "Sales"`: directory.Eq(directory.GroupDisplayName, "Sales"),
		`members[value eq "u"]`:  directory.Has{Attr: directory.GroupMembers, Where: directory.Eq(directory.MemberValue, "u")},
		`members.value eq "u"`:   directory.Has{Attr: directory.GroupMembers, Where: directory.Eq(directory.MemberValue, "u")},
		`externalId eq "x" and meta.created pr`: directory.And{directory.Eq(directory.GroupExternalID, "x"),
			directory.Compare{Attr: directory.GroupCreated, Op: directory.OpPr}},
	} {
		got, err := compileFilter(filter, &groupQueries)
		if err != nil {
			t.Fatalf("compileFilter(%q): %v", filter, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("compileFilter(%q) (-want +got):\n%s", filter, diff)
		}
	}
}

func TestCompileFilterRejects(t *testing.T) {
	for name, f := range map[string]string{
		"a syntax error":                     `userName eq`,
		"an attribute Roster cannot query":   `nickName eq "Babs"`,
		"a custom property":                  `urn:ietf:params:scim:schemas:extension:roster:2.0:User:costCode eq "1"`,
		"an unknown schema":                  `urn:example:User:userName eq "x"`,
		"an unknown sub-attribute":           `emails[display eq "x"]`,
		"a value path on a single attribute": `userName[value eq "x"]`,
		"ordering a boolean":                 `active gt true`,
		"a boolean compared with a string":   `emails.primary eq "yes"`,
		"contains on a date":                 `meta.created co "2011"`,
		"a date that is not a date":          `meta.created gt "yesterday"`,
		"a string compared with a boolean":   `userName eq true`,
		"gt null":                            `title gt null`,
		"a group attribute in a user filter": `members[value eq "x"]`,
		"too many comparisons":               longOr(maxFilterTerms + 1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := compileFilter(f, &userQueries)
			var se scimerrors.ScimError
			if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scimerrors.ScimTypeInvalidFilter {
				t.Errorf("compileFilter(%q) error = %v, want 400 invalidFilter", f, err)
			}
		})
	}
}

func longOr(n int) string {
	s := `userName eq "a"`
	for i := 1; i < n; i++ {
		s += ` or userName eq "a"`
	}
	return s
}

func TestSortAttr(t *testing.T) {
	for by, want := range map[string]directory.Attr{
		"userName": directory.UserUserName, "name.familyName": directory.UserFamilyName,
		"meta.lastModified": directory.UserLastModified, "emails": directory.UserEmail, "emails.value": directory.UserEmail,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": directory.UserDepartment,
	} {
		got, err := sortAttr(by, &userQueries)
		if err != nil || got != want {
			t.Errorf("sortAttr(%q) = %q, %v; want %q", by, got, err, want)
		}
	}
	for _, by := range []string{"active", "groups", "nickName", "emails[type eq \"work\"]", "emails.type"} {
		if got, err := sortAttr(by, &userQueries); err == nil {
			t.Errorf("sortAttr(%q) = %q, want an error", by, got)
		}
	}
}

// TestUserQueriesComeFromTheCatalogue pins the filterable attributes the
// catalogue yields to those written out by hand before it existed.
func TestUserQueriesComeFromTheCatalogue(t *testing.T) {
	want := map[string]queryAttr{
		"id":                {directory.UserID, kindString},
		"externalid":        {directory.UserExternalID, kindString},
		"username":          {directory.UserUserName, kindString},
		"displayname":       {directory.UserDisplayName, kindString},
		"name.givenname":    {directory.UserGivenName, kindString},
		"name.familyname":   {directory.UserFamilyName, kindString},
		"title":             {directory.UserTitle, kindString},
		"active":            {directory.UserStatus, kindActive},
		"meta.created":      {directory.UserCreated, kindTime},
		"meta.lastmodified": {directory.UserLastModified, kindTime},
		"employeenumber":    {directory.UserEmployeeNumber, kindString},
		"costcenter":        {directory.UserCostCenter, kindString},
		"organization":      {directory.UserOrganization, kindString},
		"division":          {directory.UserDivision, kindString},
		"department":        {directory.UserDepartment, kindString},
		"manager":           {directory.UserManager, kindString},
		"manager.value":     {directory.UserManager, kindString},
	}
	for key, w := range want {
		if got, ok := userQueries.single[key]; !ok || got != w {
			t.Errorf("%s: got %+v (found %v), want %+v", key, got, ok, w)
		}
	}
	// Attributes added since are catalogue attributes SCIM shows.
	for key, got := range userQueries.single {
		if _, ok := want[key]; ok {
			continue
		}
		if a, ok := directory.UserAttribute(got.attr); !ok || !strings.EqualFold(a.SCIMName, key) {
			t.Errorf("%s: filters %s, which is not a catalogue attribute of that SCIM name", key, got.attr)
		}
	}
	for _, key := range []string{"emails.value", "phonenumbers.value"} {
		if _, ok := userQueries.single[key]; ok {
			t.Errorf("%s is filtered as a single value, not through its multi-valued attribute", key)
		}
	}
	if !slices.Contains(userQueries.exts, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user") {
		t.Errorf("the enterprise extension is not filterable: %v", userQueries.exts)
	}
}

func TestRosterExtensionAttributesFilter(t *testing.T) {
	for _, text := range []string{
		`officeLocation eq "HQ"`,
		`urn:roster:params:scim:schemas:extension:roster:1.0:User:officeLocation eq "HQ"`,
	} {
		got, err := compileFilter(text, &userQueries)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if diff := cmp.Diff(directory.Eq(directory.UserOfficeLocation, "HQ"), got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", text, diff)
		}
	}
	if _, err := sortAttr("urn:roster:params:scim:schemas:extension:roster:1.0:User:officeLocation", &userQueries); err != nil {
		t.Errorf("cannot sort by officeLocation: %v", err)
	}
}
