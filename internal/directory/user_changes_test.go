package directory

import (
	"reflect"
	"testing"
	"time"
)

// userChanges must audit exactly what diffing the two users' audit fields
// does, for every kind of field.
func TestUserChangesMatchTheAuditFields(t *testing.T) {
	now := time.Now()
	base := func() *User {
		return &User{ID: "u", OrgID: "o", UserName: "ada@acme.example", Email: "ada@acme.example", GivenName: "Ada",
			FamilyName: "Lovelace", Title: "Engineer", Status: StatusActive, Role: RoleUser, AuthMethod: AuthLocal, Source: SourceSCIM,
			Emails:     []Email{{Value: "ada@acme.example", Type: "work", Primary: true}},
			Roles:      []Grant{{Value: "Admin"}},
			Enterprise: Enterprise{Department: "R&D"},
			Profile:    Profile{NickName: "ada", PhoneNumbers: []PhoneNumber{{Value: "+1", Type: "work"}}},
			Properties: map[string]any{"badge": "7", "floor": 3.0},
			CreatedAt:  now, UpdatedAt: now, Version: 3}
	}
	for name, change := range map[string]func(*User){
		"nothing":               func(*User) {},
		"a text attribute":      func(u *User) { u.Title = "Boss" },
		"the family name":       func(u *User) { u.FamilyName = "" },
		"an email":              func(u *User) { u.Emails[0].Value = "x@acme.example" },
		"emails emptied":        func(u *User) { u.Emails = []Email{} },
		"emails dropped":        func(u *User) { u.Emails = nil },
		"roles":                 func(u *User) { u.Roles = append(u.Roles, Grant{Value: "Reader"}) },
		"entitlements":          func(u *User) { u.Entitlements = []Grant{{Value: "crm"}} },
		"an enterprise field":   func(u *User) { u.Enterprise.ManagerID = "m" },
		"a profile field":       func(u *User) { u.Profile.Locale = "fr" },
		"a phone":               func(u *User) { u.Profile.PhoneNumbers = nil },
		"the role":              func(u *User) { u.Role, u.RoleFromMapping = RoleOrgAdmin, true },
		"the status":            func(u *User) { u.Status, u.StatusReason = StatusSuspended, "SCIM" },
		"the source":            func(u *User) { u.Source, u.SourceRef = SourceLDAP, "guid" },
		"the auth method":       func(u *User) { u.AuthMethod = AuthSSO },
		"a property changed":    func(u *User) { u.Properties["badge"] = "8" },
		"a property removed":    func(u *User) { delete(u.Properties, "floor") },
		"a property added":      func(u *User) { u.Properties["desk"] = "4B" },
		"a zero property":       func(u *User) { u.Properties["desk"] = "" },
		"properties dropped":    func(u *User) { u.Properties = nil },
		"the password":          func(u *User) { u.PasswordHash = "new" },
		"times and the version": func(u *User) { u.UpdatedAt, u.Version = now.Add(time.Hour), 4 },
	} {
		cur, next := base(), base()
		change(next)
		want := diffFields(userAuditFields(cur), userAuditFields(next))
		if got := userChanges(cur, next); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: userChanges = %v, the audit fields differ by %v", name, got, want)
		}
		// And the other way, a change undone.
		want = diffFields(userAuditFields(next), userAuditFields(cur))
		if got := userChanges(next, cur); !reflect.DeepEqual(got, want) {
			t.Errorf("%s undone: userChanges = %v, the audit fields differ by %v", name, got, want)
		}
	}
}
