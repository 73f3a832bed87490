package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// people is the data set of the user filter tests: four users of one
// organization, a deleted one, and a decoy in another organization that
// matches most filters.
type people struct {
	org                           *directory.Org
	alice, bob, carol, dave, erin *directory.User
	admins, engineers             *directory.Group
	t0                            time.Time
}

func (f *fixture) people() *people {
	p := &people{org: f.org("acme"), t0: f.base}
	p.alice = f.user(p.org, "Alice@Example.com", func(u *directory.User) {
		u.DisplayName, u.GivenName, u.FamilyName = "Alice Liddell", "Alice", "Liddell"
		u.Title, u.Phone = "Engineer", "+1 555 0100"
		u.Role, u.Source, u.SourceRef, u.ExternalID = directory.RoleOrgAdmin, directory.SourceSCIM, "ref-A", "ext-A"
		u.Enterprise = directory.Enterprise{
			EmployeeNumber: "100", CostCenter: "CC-1", Organization: "Wonderland",
			Division: "R&D", Department: "Research", ManagerID: "mgr-1",
		}
		u.Emails = []directory.Email{
			{Value: "alice@example.com", Type: "work", Primary: true},
			{Value: "a.liddell@home.test", Type: "home"},
		}
		u.LastLoginAt = ptr(f.at(time.Hour))
	})
	p.bob = f.user(p.org, "bob@example.com", func(u *directory.User) {
		u.DisplayName, u.GivenName, u.FamilyName = "Bob O'Brien", "Bob", "O'Brien"
		u.Title, u.Status = "engineering manager", directory.StatusSuspended
		u.Source, u.SourceRef, u.ExternalID = directory.SourceLDAP, "ref-B", "EXT-b"
		u.Emails = []directory.Email{{Value: "bob@example.com", Type: "work", Primary: true}}
		u.CreatedAt = f.at(time.Minute)
	})
	p.carol = f.user(p.org, "carol@example.org", func(u *directory.User) {
		u.DisplayName, u.FamilyName = "Carol 100% Sure_Thing", "Müller"
		u.Status = directory.StatusPending
		u.CreatedAt = f.at(2 * time.Minute)
	})
	p.dave = f.user(p.org, "dave@example.com", func(u *directory.User) {
		u.DisplayName, u.Role, u.Source, u.ExternalID = "Dave", directory.RoleOrgViewer, directory.SourceEntra, "ext-D"
		u.Emails = []directory.Email{
			{Value: "dave@work.test", Type: "work", Primary: true},
			{Value: "Dave@Example.com", Type: "other"},
		}
		u.LastLoginAt = ptr(f.at(2 * time.Hour))
		u.CreatedAt = f.at(3 * time.Minute)
	})
	p.erin = f.user(p.org, "erin@example.com", func(u *directory.User) {
		u.DisplayName, u.Status = "Erin", directory.StatusDeleted
		u.CreatedAt = f.at(4 * time.Minute)
	})
	decoyOrg := f.org("decoy")
	decoy := f.user(decoyOrg, "alice@decoy.example.com", func(u *directory.User) {
		u.DisplayName, u.Title, u.ExternalID, u.Source = "Alice Liddell", "Engineer", "ext-A", directory.SourceSCIM
		u.Emails = []directory.Email{{Value: "alice@example.com", Type: "work", Primary: true}}
	})
	decoyGroup := f.group(decoyOrg, "Admins")
	f.addMembers(decoyGroup, decoy)

	p.admins = f.group(p.org, "Admins")
	p.engineers = f.group(p.org, "Engineers")
	f.addMembers(p.admins, p.alice)
	f.addMembers(p.engineers, p.alice, p.bob)
	return p
}

// userNames lists the users' names, sorted.
func userNames(users []*directory.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = strings.ToLower(u.UserName)
	}
	slices.Sort(out)
	return out
}

func testUserFilters(t *testing.T, f *fixture) {
	p := f.people()
	const (
		alice = "alice@example.com"
		bob   = "bob@example.com"
		carol = "carol@example.org"
		dave  = "dave@example.com"
	)
	cmp := func(a directory.Attr, op directory.Op, v any) directory.Compare {
		return directory.Compare{Attr: a, Op: op, Value: v}
	}
	emails := func(where directory.Expr) directory.Has {
		return directory.Has{Attr: directory.UserEmails, Where: where}
	}
	t0 := p.t0
	for _, tc := range []struct {
		name   string
		filter directory.Expr
		want   []string
	}{
		{"no filter", nil, []string{alice, bob, carol, dave}},
		{"userName eq, regardless of case", cmp(directory.UserUserName, directory.OpEq, "ALICE@example.COM"), []string{alice}},
		{"userName ne", cmp(directory.UserUserName, directory.OpNe, "alice@example.com"), []string{bob, carol, dave}},
		{"userName co", cmp(directory.UserUserName, directory.OpCo, "@EXAMPLE.C"), []string{alice, bob, dave}},
		{"userName sw", cmp(directory.UserUserName, directory.OpSw, "B"), []string{bob}},
		{"userName sw the whole name", cmp(directory.UserUserName, directory.OpSw, "ALICE@EXAMPLE.COM"), []string{alice}},
		{"userName sw past every name", cmp(directory.UserUserName, directory.OpSw, "alice@example.comx"), nil},
		{"userName sw nothing", cmp(directory.UserUserName, directory.OpSw, ""), []string{alice, bob, carol, dave}},
		{"name.familyName sw non-ASCII", cmp(directory.UserFamilyName, directory.OpSw, "MÜL"), []string{carol}},
		{"sw escapes % and _", cmp(directory.UserDisplayName, directory.OpSw, "carol 100% sure_"), []string{carol}},
		{"sw keeps % and _ literal", cmp(directory.UserDisplayName, directory.OpSw, "carol 100_"), nil},
		{"email sw", cmp(directory.UserEmail, directory.OpSw, "DAVE@"), []string{dave}},
		{"userName ew", cmp(directory.UserUserName, directory.OpEw, ".ORG"), []string{carol}},
		{"userName pr", cmp(directory.UserUserName, directory.OpPr, nil), []string{alice, bob, carol, dave}},
		{"userName gt", cmp(directory.UserUserName, directory.OpGt, "BOB@example.com"), []string{carol, dave}},
		{"userName ge", cmp(directory.UserUserName, directory.OpGe, "bob@example.com"), []string{bob, carol, dave}},
		{"userName lt", cmp(directory.UserUserName, directory.OpLt, "bob@example.com"), []string{alice}},
		{"userName le", cmp(directory.UserUserName, directory.OpLe, "Bob@example.com"), []string{alice, bob}},
		{"id eq", cmp(directory.UserID, directory.OpEq, p.bob.ID), []string{bob}},
		{"id eq is case-exact", cmp(directory.UserID, directory.OpEq, strings.ToUpper(p.bob.ID)), nil},
		{"externalId eq", cmp(directory.UserExternalID, directory.OpEq, "ext-A"), []string{alice}},
		{"externalId eq is case-exact", cmp(directory.UserExternalID, directory.OpEq, "EXT-A"), nil},
		{"externalId co is case-exact", cmp(directory.UserExternalID, directory.OpCo, "xt-"), []string{alice, dave}},
		{"externalId sw is case-exact", cmp(directory.UserExternalID, directory.OpSw, "EXT"), []string{bob}},
		{"externalId ew is case-exact", cmp(directory.UserExternalID, directory.OpEw, "b"), []string{bob}},
		{"externalId pr", cmp(directory.UserExternalID, directory.OpPr, nil), []string{alice, bob, dave}},
		{"co escapes %", cmp(directory.UserDisplayName, directory.OpCo, "100%"), []string{carol}},
		{"co escapes _", cmp(directory.UserDisplayName, directory.OpCo, "_"), []string{carol}},
		{"co escapes a lone %", cmp(directory.UserDisplayName, directory.OpCo, "%"), []string{carol}},
		{"co escapes \\", cmp(directory.UserDisplayName, directory.OpCo, `\`), nil},
		{"case-exact co escapes * and ?", cmp(directory.UserExternalID, directory.OpCo, "*"), nil},
		{"values are never SQL", cmp(directory.UserDisplayName, directory.OpSw, "bob o'"), []string{bob}},
		{"displayName eq", cmp(directory.UserDisplayName, directory.OpEq, "dave"), []string{dave}},
		{"name.givenName eq", cmp(directory.UserGivenName, directory.OpEq, "ALICE"), []string{alice}},
		{"name.familyName folds non-ASCII case", cmp(directory.UserFamilyName, directory.OpEq, "MÜLLER"), []string{carol}},
		{"name.familyName co non-ASCII", cmp(directory.UserFamilyName, directory.OpCo, "ÜLL"), []string{carol}},
		{"email eq", cmp(directory.UserEmail, directory.OpEq, "BOB@EXAMPLE.COM"), []string{bob}},
		// Names and email compare through their sort key, where an empty
		// value is NULL (migration 0165): the empty value still matches eq
		// "", ge "", lt and ne as SCIM says.
		{"name.givenName eq the empty value", cmp(directory.UserGivenName, directory.OpEq, ""), []string{carol, dave}},
		{"name.givenName ne", cmp(directory.UserGivenName, directory.OpNe, "alice"), []string{bob, carol, dave}},
		{"name.familyName gt", cmp(directory.UserFamilyName, directory.OpGt, "M"), []string{bob, carol}},
		{"name.familyName ge the empty value", cmp(directory.UserFamilyName, directory.OpGe, ""), []string{alice, bob, carol, dave}},
		{"name.familyName lt keeps the empty value", cmp(directory.UserFamilyName, directory.OpLt, "m"), []string{alice, dave}},
		{"name.familyName le", cmp(directory.UserFamilyName, directory.OpLe, "liddell"), []string{alice, dave}},
		{"name.familyName sw", cmp(directory.UserFamilyName, directory.OpSw, "O'B"), []string{bob}},
		{"not name.familyName eq", directory.Not{X: cmp(directory.UserFamilyName, directory.OpEq, "Liddell")}, []string{bob, carol, dave}},
		{"email sw nothing", cmp(directory.UserEmail, directory.OpSw, ""), []string{alice, bob, carol, dave}},
		{"email ge", cmp(directory.UserEmail, directory.OpGe, "CAROL@"), []string{carol, dave}},
		{"title co", cmp(directory.UserTitle, directory.OpCo, "ENGINEER"), []string{alice, bob}},
		{"title pr", cmp(directory.UserTitle, directory.OpPr, nil), []string{alice, bob}},
		{"not title pr", directory.Not{X: cmp(directory.UserTitle, directory.OpPr, nil)}, []string{carol, dave}},
		{"phone sw", cmp(directory.UserPhone, directory.OpSw, "+1 "), []string{alice}},
		{"active eq true", cmp(directory.UserActive, directory.OpEq, true), []string{alice, dave}},
		{"active eq false", cmp(directory.UserActive, directory.OpEq, false), []string{bob, carol}},
		{"active ne true", cmp(directory.UserActive, directory.OpNe, true), []string{bob, carol}},
		{"active ne false", cmp(directory.UserActive, directory.OpNe, false), []string{alice, dave}},
		{"active pr", cmp(directory.UserActive, directory.OpPr, nil), []string{alice, bob, carol, dave}},
		{"status eq", cmp(directory.UserStatus, directory.OpEq, "SUSPENDED"), []string{bob}},
		{"role eq", cmp(directory.UserRole, directory.OpEq, "org_admin"), []string{alice}},
		{"source eq", cmp(directory.UserSource, directory.OpEq, "LDAP"), []string{bob}},
		{"source ne", cmp(directory.UserSource, directory.OpNe, "scim"), []string{bob, carol, dave}},
		{"sourceRef eq", cmp(directory.UserSourceRef, directory.OpEq, "ref-B"), []string{bob}},
		{"sourceRef eq is case-exact", cmp(directory.UserSourceRef, directory.OpEq, "REF-B"), nil},
		{"authMethod eq", cmp(directory.UserAuthMethod, directory.OpEq, "local"), []string{alice, bob, carol, dave}},
		{"enterprise.employeeNumber eq", cmp(directory.UserEmployeeNumber, directory.OpEq, "100"), []string{alice}},
		{"enterprise.costCenter eq", cmp(directory.UserCostCenter, directory.OpEq, "cc-1"), []string{alice}},
		{"enterprise.organization sw", cmp(directory.UserOrganization, directory.OpSw, "wonder"), []string{alice}},
		{"enterprise.division eq", cmp(directory.UserDivision, directory.OpEq, "r&d"), []string{alice}},
		{"enterprise.department ew", cmp(directory.UserDepartment, directory.OpEw, "SEARCH"), []string{alice}},
		{"enterprise.manager eq", cmp(directory.UserManager, directory.OpEq, "mgr-1"), []string{alice}},
		{"enterprise.manager eq is case-exact", cmp(directory.UserManager, directory.OpEq, "MGR-1"), nil},
		{"meta.created eq", cmp(directory.UserCreated, directory.OpEq, t0), []string{alice}},
		{"meta.created gt", cmp(directory.UserCreated, directory.OpGt, t0), []string{bob, carol, dave}},
		{"meta.created ge", cmp(directory.UserCreated, directory.OpGe, micro(t0)), []string{alice, bob, carol, dave}},
		{"meta.created lt an RFC 3339 string", cmp(directory.UserCreated, directory.OpLt, t0.Add(2*time.Minute).Format(time.RFC3339Nano)), []string{alice, bob}},
		{"meta.created le", cmp(directory.UserCreated, directory.OpLe, t0.Add(2*time.Minute)), []string{alice, bob, carol}},
		{"meta.created ne", cmp(directory.UserCreated, directory.OpNe, t0), []string{bob, carol, dave}},
		{"meta.lastModified gt", cmp(directory.UserLastModified, directory.OpGt, t0.Add(-time.Second)), []string{alice, bob, carol, dave}},
		{"lastLoginAt gt", cmp(directory.UserLastLogin, directory.OpGt, t0), []string{alice, dave}},
		{"lastLoginAt lt", cmp(directory.UserLastLogin, directory.OpLt, t0.Add(90*time.Minute)), []string{alice}},
		{"lastLoginAt pr", cmp(directory.UserLastLogin, directory.OpPr, nil), []string{alice, dave}},
		{"not lastLoginAt pr", directory.Not{X: cmp(directory.UserLastLogin, directory.OpPr, nil)}, []string{bob, carol}},
		{"not lastLoginAt gt matches the absent", directory.Not{X: cmp(directory.UserLastLogin, directory.OpGt, t0.Add(90*time.Minute))}, []string{alice, bob, carol}},
		{"lastLoginAt ne matches the absent", cmp(directory.UserLastLogin, directory.OpNe, t0.Add(time.Hour)), []string{bob, carol, dave}},
		{"emails[type eq work]", emails(directory.Eq(directory.EmailType, "WORK")), []string{alice, bob, dave}},
		{"emails[value eq]", emails(directory.Eq(directory.EmailValue, "DAVE@work.test")), []string{dave}},
		{"emails[type and value] match one element", emails(directory.And{
			directory.Eq(directory.EmailType, "work"), directory.Eq(directory.EmailValue, "dave@example.com"),
		}), nil},
		{"emails[type eq work].value eq", emails(directory.And{
			directory.Eq(directory.EmailType, "work"), directory.Eq(directory.EmailValue, "Dave@Work.test"),
		}), []string{dave}},
		{"emails[primary eq true]", emails(directory.Eq(directory.EmailPrimary, true)), []string{alice, bob, dave}},
		{"emails[primary eq false]", emails(directory.Eq(directory.EmailPrimary, false)), []string{alice, dave}},
		{"emails[value ew]", emails(cmp(directory.EmailValue, directory.OpEw, "@HOME.test")), []string{alice}},
		{"emails co means emails[value co]", cmp(directory.UserEmails, directory.OpCo, "home.test"), []string{alice}},
		{"emails pr", cmp(directory.UserEmails, directory.OpPr, nil), []string{alice, bob, dave}},
		{"emails with any element", emails(nil), []string{alice, bob, dave}},
		{"no emails", directory.Not{X: emails(nil)}, []string{carol}},
		{"groups[value eq]", directory.Has{Attr: directory.UserGroups, Where: directory.Eq(directory.MemberValue, p.engineers.ID)}, []string{alice, bob}},
		{"groups eq means groups[value eq]", cmp(directory.UserGroups, directory.OpEq, p.admins.ID), []string{alice}},
		{"groups of either group", directory.Or{
			directory.Has{Attr: directory.UserGroups, Where: directory.Eq(directory.MemberValue, p.admins.ID)},
			directory.Has{Attr: directory.UserGroups, Where: directory.Eq(directory.MemberValue, p.engineers.ID)},
		}, []string{alice, bob}},
		{"in no group", directory.Not{X: directory.Has{Attr: directory.UserGroups}}, []string{carol, dave}},
		{"and", directory.And{cmp(directory.UserActive, directory.OpEq, true), cmp(directory.UserTitle, directory.OpCo, "eng")}, []string{alice}},
		{"or", directory.Or{directory.Eq(directory.UserUserName, bob), directory.Eq(directory.UserUserName, carol)}, []string{bob, carol}},
		{"not or", directory.Not{X: directory.Or{directory.Eq(directory.UserUserName, bob), directory.Eq(directory.UserUserName, carol)}}, []string{alice, dave}},
		{"empty and matches all", directory.And{}, []string{alice, bob, carol, dave}},
		{"empty or matches none", directory.Or{}, nil},
		{"nested", directory.Or{
			directory.And{cmp(directory.UserSource, directory.OpEq, "scim"), directory.Not{X: cmp(directory.UserTitle, directory.OpEq, "x")}},
			directory.And{directory.Or{cmp(directory.UserStatus, directory.OpEq, "pending"), cmp(directory.UserRole, directory.OpEq, "nobody")}},
		}, []string{alice, carol}},
		{"pointers to expressions", &directory.Not{X: &directory.Compare{Attr: directory.UserActive, Op: directory.OpEq, Value: true}}, []string{bob, carol}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := f.s.Users().ListUsers(f.ctx, p.org.ID, directory.UserQuery{Filter: tc.filter, CountTotal: true})
			must(t, "ListUsers", err)
			diff(t, "matching users", tc.want, userNames(page.Users))
			if page.Total != len(tc.want) {
				t.Errorf("Total = %d, want %d", page.Total, len(tc.want))
			}
		})
	}

	t.Run("filters reach deleted users with IncludeDeleted", func(t *testing.T) {
		page, err := f.s.Users().ListUsers(f.ctx, p.org.ID, directory.UserQuery{
			Filter: directory.Eq(directory.UserStatus, "deleted"), IncludeDeleted: true,
		})
		must(t, "ListUsers", err)
		diff(t, "matching users", []string{"erin@example.com"}, userNames(page.Users))
	})
}

func testBadUserFilters(t *testing.T, f *fixture) {
	org := f.org("acme")
	f.user(org, "someone@acme.example")
	cmp := func(a directory.Attr, op directory.Op, v any) directory.Compare {
		return directory.Compare{Attr: a, Op: op, Value: v}
	}
	deep := directory.Expr(directory.Eq(directory.UserUserName, "x"))
	for range 100 {
		deep = directory.Not{X: deep}
	}
	for _, tc := range []struct {
		name   string
		filter directory.Expr
	}{
		{"an unknown attribute", directory.Eq("nickName", "x")},
		{"an unknown operator", cmp(directory.UserUserName, "like", "x")},
		{"a number for a string", cmp(directory.UserUserName, directory.OpEq, int64(5))},
		{"no value for eq", cmp(directory.UserUserName, directory.OpEq, nil)},
		{"a string for active", cmp(directory.UserActive, directory.OpEq, "true")},
		{"co on active", cmp(directory.UserActive, directory.OpCo, true)},
		{"gt on a boolean", directory.Has{Attr: directory.UserEmails, Where: cmp(directory.EmailPrimary, directory.OpGt, true)}},
		{"co on a time", cmp(directory.UserCreated, directory.OpCo, "2020")},
		{"a bad time", cmp(directory.UserCreated, directory.OpGt, "yesterday")},
		{"a number for a time", cmp(directory.UserCreated, directory.OpGt, int64(1))},
		{"an unknown multi-valued attribute", directory.Has{Attr: "phoneNumbers", Where: directory.Eq("value", "1")}},
		{"a user attribute inside emails", directory.Has{Attr: directory.UserEmails, Where: directory.Eq(directory.UserUserName, "x")}},
		{"nested multi-valued attributes", directory.Has{Attr: directory.UserEmails, Where: directory.Has{Attr: directory.UserGroups}}},
		{"a number for a group id", directory.Has{Attr: directory.UserGroups, Where: cmp(directory.MemberValue, directory.OpEq, 1.0)}},
		{"a group attribute", directory.Eq(directory.GroupMembers, "x")},
		{"a filter nested too deep", deep},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{Filter: tc.filter})
			wantCode(t, "ListUsers", err, directory.CodeInvalid, "filter")
		})
	}
	for _, attr := range []directory.Attr{directory.UserActive, directory.UserEmails, directory.UserGroups, "nickName"} {
		_, err := f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{Sort: directory.Sort{Attr: attr}})
		wantCode(t, "ListUsers sorted by "+string(attr), err, directory.CodeInvalid, "sortBy")
	}
}
