package scim

import (
	"errors"
	"sort"
	"testing"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

var testOrg = &directory.Org{UserProperties: []directory.PropertyDef{
	{Key: "costCode", Type: directory.PropertyString},
	{Key: "floor", Type: directory.PropertyNumber},
	{Key: "remote", Type: directory.PropertyBoolean},
}}

// baseUser is the user the patch tests start from.
func baseUser() *directory.User {
	return &directory.User{
		ID: "01900000-0000-7000-8000-000000000001", UserName: "bjensen@example.com", ExternalID: "bjensen",
		GivenName: "Barbara", FamilyName: "Jensen", DisplayName: "Babs", Email: "bjensen@example.com",
		Emails: []directory.Email{
			{Value: "bjensen@example.com", Type: "work", Primary: true},
			{Value: "babs@jensen.org", Type: "home"},
		},
		Status: directory.StatusActive, StatusSetBy: directory.AuthorityAdmin, Source: directory.SourceSCIM,
	}
}

// patched applies a PatchOp body to baseUser (after prepare, if given).
func patched(t *testing.T, body string, prepare func(*directory.User)) (*directory.User, error) {
	t.Helper()
	ops, err := parsePatch([]byte(body))
	if err != nil {
		return nil, err
	}
	u := baseUser()
	if prepare != nil {
		prepare(u)
	}
	err = patchUser(u, userSchema(testOrg, true), ops, map[string]string{"s3cret-pass": "hashed"})
	return u, err
}

func TestPatchUser(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		prepare func(*directory.User)
		check   func(t *testing.T, u *directory.User)
	}{
		{
			name: "Entra replaces the work email and the family name",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
				{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`,
			check: func(t *testing.T, u *directory.User) {
				want := []directory.Email{{Value: "updatedEmail@microsoft.com", Type: "work", Primary: true}, {Value: "babs@jensen.org", Type: "home"}}
				if diff := cmp.Diff(want, u.Emails); diff != "" {
					t.Errorf("emails (-want +got):\n%s", diff)
				}
				if u.FamilyName != "updatedFamilyName" || u.Email != "updatedEmail@microsoft.com" {
					t.Errorf("familyName = %q, email = %q", u.FamilyName, u.Email)
				}
			},
		},
		{
			name:    "a filtered replace of a missing element creates it",
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.com"}]}`,
			prepare: func(u *directory.User) { u.Emails = nil },
			check: func(t *testing.T, u *directory.User) {
				if diff := cmp.Diff([]directory.Email{{Value: "new@contoso.com", Type: "work"}}, u.Emails); diff != "" {
					t.Errorf("emails (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "a filtered replace of a whole missing element keeps what the filter says",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"replace","path":"phoneNumbers[type eq \"mobile\"]","value":{"value":"+31 6 1234 5678"}},
				{"op":"Add","path":"addresses[Type eq \"work\"].postalCode","value":"1012 AB"}]}`,
			check: func(t *testing.T, u *directory.User) {
				if diff := cmp.Diff([]directory.PhoneNumber{{Value: "+31 6 1234 5678", Type: "mobile"}}, u.Profile.PhoneNumbers); diff != "" {
					t.Errorf("phone numbers (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]directory.Address{{PostalCode: "1012 AB", Type: "work"}}, u.Profile.Addresses); diff != "" {
					t.Errorf("addresses (-want +got):\n%s", diff)
				}
				if u.Phone != "+31 6 1234 5678" {
					t.Errorf("phone = %q", u.Phone)
				}
			},
		},
		{
			name: "a pathless replace takes dotted and URN keys",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{
				"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]}`,
			check: func(t *testing.T, u *directory.User) {
				if u.DisplayName != "Bjfe" || u.GivenName != "Kkom" || u.FamilyName != "Unua" || u.Enterprise.EmployeeNumber != "Aklq" {
					t.Errorf("got %q %q %q %q", u.DisplayName, u.GivenName, u.FamilyName, u.Enterprise.EmployeeNumber)
				}
			},
		},
		{
			name: "a pathless value may hold an extension object",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","value":{
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Tour Operations","costCenter":"4130"},
				"urn:ietf:params:scim:schemas:extension:roster:2.0:User":{"costCode":"CC-7","floor":3,"remote":"True"}}}]}`,
			check: func(t *testing.T, u *directory.User) {
				if u.Enterprise.Department != "Tour Operations" || u.Enterprise.CostCenter != "4130" {
					t.Errorf("enterprise = %+v", u.Enterprise)
				}
				want := map[string]any{"costCode": "CC-7", "floor": 3.0, "remote": true}
				if diff := cmp.Diff(want, u.Properties); diff != "" {
					t.Errorf("properties (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "Entra disables with the string False",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
			check: func(t *testing.T, u *directory.User) {
				if u.Status != directory.StatusSuspended || u.StatusReason != suspendReason {
					t.Errorf("status = %s (%q), want suspended by SCIM", u.Status, u.StatusReason)
				}
			},
		},
		{
			name: "Okta deactivates with a pathless replace",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
			check: func(t *testing.T, u *directory.User) {
				if u.Status != directory.StatusSuspended {
					t.Errorf("status = %s, want suspended", u.Status)
				}
			},
		},
		{
			name: "active true lifts a suspension SCIM made",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`,
			prepare: func(u *directory.User) {
				u.Status, u.StatusSetBy, u.StatusReason = directory.StatusSuspended, directory.AuthoritySCIM, suspendReason
			},
			check: func(t *testing.T, u *directory.User) {
				if u.Status != directory.StatusActive {
					t.Errorf("status = %s, want active", u.Status)
				}
			},
		},
		{
			name: "active true leaves an admin's ban alone",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`,
			prepare: func(u *directory.User) {
				u.Status, u.StatusSetBy, u.StatusReason = directory.StatusSuspended, directory.AuthorityAdmin, "banned"
			},
			check: func(t *testing.T, u *directory.User) {
				if u.Status != directory.StatusSuspended || u.StatusReason != "banned" {
					t.Errorf("status = %s (%q), want the ban kept", u.Status, u.StatusReason)
				}
			},
		},
		{
			name:    "active true does not unlock a locked user",
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`,
			prepare: func(u *directory.User) { u.Status, u.StatusSetBy = directory.StatusLocked, directory.AuthorityLogin },
			check: func(t *testing.T, u *directory.User) {
				if u.Status != directory.StatusLocked {
					t.Errorf("status = %s, want locked", u.Status)
				}
			},
		},
		{
			name: "Entra adds a single-valued string",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"nickName","value":"Babs"}]}`,
			check: func(t *testing.T, u *directory.User) {
				if u.Profile.NickName != "Babs" {
					t.Errorf("nickName = %q", u.Profile.NickName)
				}
			},
		},
		{
			name: "Entra adds the manager as a one-element list without its URN",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"manager","value":[
				{"$ref":"http://example.com/scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee","value":"00aa00aa-bb11-cc22-dd33-44ee44ee44ee"}]}]}`,
			check: func(t *testing.T, u *directory.User) {
				if u.Enterprise.ManagerID != "00aa00aa-bb11-cc22-dd33-44ee44ee44ee" {
					t.Errorf("manager = %q", u.Enterprise.ManagerID)
				}
			},
		},
		{
			name:    "a manager given as a bare id, then removed by URN",
			body:    `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]}`,
			prepare: func(u *directory.User) { u.Enterprise.ManagerID = "m" },
			check: func(t *testing.T, u *directory.User) {
				if u.Enterprise.ManagerID != "" {
					t.Errorf("manager = %q, want none", u.Enterprise.ManagerID)
				}
			},
		},
		{
			name: "a filtered remove drops the matching element",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq \"HOME\"]"}]}`,
			check: func(t *testing.T, u *directory.User) {
				if len(u.Emails) != 1 || u.Emails[0].Type != "work" {
					t.Errorf("emails = %+v", u.Emails)
				}
			},
		},
		{
			name: "adding a primary email demotes the old primary",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":[{"value":"b@new.example","type":"other","primary":true}]}]}`,
			check: func(t *testing.T, u *directory.User) {
				if len(u.Emails) != 3 || u.Emails[0].Primary || !u.Emails[2].Primary || u.Email != "b@new.example" {
					t.Errorf("emails = %+v, email = %q", u.Emails, u.Email)
				}
			},
		},
		{
			name: "adding an email already present changes nothing",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":{"value":"babs@jensen.org","type":"home"}}]}`,
			check: func(t *testing.T, u *directory.User) {
				if len(u.Emails) != 2 {
					t.Errorf("emails = %+v", u.Emails)
				}
			},
		},
		{
			name: "Okta's echoed id and a derived name.formatted are ignored",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"replace","value":{"id":"01900000-0000-7000-8000-000000000001","name":{"formatted":"X Y","givenName":"Barb"}}},
				{"op":"replace","path":"name.formatted","value":"ignored"}]}`,
			check: func(t *testing.T, u *directory.User) {
				if u.GivenName != "Barb" || u.FamilyName != "Jensen" {
					t.Errorf("name = %q %q, want the given name replaced and the family name kept", u.GivenName, u.FamilyName)
				}
			},
		},
		{
			name: "a password is set from its hash",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"s3cret-pass"}]}`,
			check: func(t *testing.T, u *directory.User) {
				if u.PasswordHash != "hashed" {
					t.Errorf("password hash = %q", u.PasswordHash)
				}
			},
		},
		{
			name: "removing an attribute clears it, and null does too",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"remove","path":"displayName"},{"op":"replace","path":"externalId","value":null}]}`,
			check: func(t *testing.T, u *directory.User) {
				if u.DisplayName != "" || u.ExternalID != "" {
					t.Errorf("displayName = %q, externalId = %q", u.DisplayName, u.ExternalID)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := patched(t, tt.body, tt.prepare)
			if err != nil {
				t.Fatalf("patch: %v", err)
			}
			tt.check(t, u)
		})
	}
}

func TestPatchUserRejects(t *testing.T) {
	tests := []struct {
		name, body string
		scimType   scimerrors.ScimType
	}{
		{"a body that is not a PatchOp", `{"Operations":[{"op":"add","path":"title","value":"x"}]}`, scimerrors.ScimTypeInvalidSyntax},
		{"no operations", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, scimerrors.ScimTypeInvalidValue},
		{"an unknown op", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"merge","path":"title","value":"x"}]}`, scimerrors.ScimTypeInvalidSyntax},
		{"a remove without path", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove"}]}`, scimerrors.ScimTypeNoTarget},
		{"a malformed path", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails[type","value":"x"}]}`, scimerrors.ScimTypeInvalidPath},
		{"an unknown attribute", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"x509Certificates","value":[]}]}`, scimerrors.ScimTypeInvalidPath},
		{"a read-only attribute", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"groups","value":[{"value":"g"}]}]}`, scimerrors.ScimTypeMutability},
		{"a value of the wrong type", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":42}]}`, scimerrors.ScimTypeInvalidValue},
		{"a boolean that is not one", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":"maybe"}]}`, scimerrors.ScimTypeInvalidValue},
		{"a pathless value that is not an object", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":"x"}]}`, scimerrors.ScimTypeInvalidValue},
		{"a filter on a single-valued attribute", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title[value eq \"x\"]","value":"y"}]}`, scimerrors.ScimTypeInvalidPath},
		{"a filter naming no sub-attribute", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[kind eq \"x\"].value","value":"y"}]}`, scimerrors.ScimTypeInvalidFilter},
		{"a filtered replace that cannot create its element", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[value co \"nobody\"].type","value":"work"}]}`, scimerrors.ScimTypeNoTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := patched(t, tt.body, nil)
			var se scimerrors.ScimError
			if !errors.As(err, &se) || se.Status != 400 || se.ScimType != tt.scimType {
				t.Errorf("error = %v, want 400 %s", err, tt.scimType)
			}
		})
	}
}

const (
	member1 = "01900000-0000-7000-8000-00000000000a"
	member2 = "01900000-0000-7000-8000-00000000000b"
	member3 = "01900000-0000-7000-8000-00000000000c"
)

func TestPatchGroupMembers(t *testing.T) {
	type result struct {
		Name          string
		Add, Remove   []string
		Replace       []string
		ReplaceWanted bool
	}
	tests := []struct {
		name, ops string
		want      result
	}{
		{"Entra adds a member with a null $ref",
			`{"op":"Add","path":"members","value":[{"$ref":null,"value":"` + member1 + `"}]}`,
			result{Name: "Sales", Add: []string{member1}}},
		{"Entra removes a member by value",
			`{"op":"Remove","path":"members","value":[{"value":"` + member1 + `"}]}`,
			result{Name: "Sales", Remove: []string{member1}}},
		{"Entra removes a member by filter",
			`{"op":"remove","path":"members[value eq \"` + member1 + `\"]"}`,
			result{Name: "Sales", Remove: []string{member1}}},
		{"Okta removes one, adds another and renames in one request",
			`{"op":"replace","value":{"id":"x","displayName":"Sales EMEA"}},
			 {"op":"remove","path":"members[value eq \"` + member1 + `\"]"},
			 {"op":"add","path":"members","value":[{"value":"` + member2 + `","display":"test.user@okta.local"}]}`,
			result{Name: "Sales EMEA", Add: []string{member2}, Remove: []string{member1}}},
		{"a filter may name several members",
			`{"op":"remove","path":"members[value eq \"` + member1 + `\" or value eq \"` + member2 + `\"]"}`,
			result{Name: "Sales", Remove: []string{member1, member2}}},
		{"Okta replaces the whole list",
			`{"op":"replace","path":"members","value":[{"value":"` + member1 + `"},{"value":"` + member2 + `"}]}`,
			result{Name: "Sales", Replace: []string{member1, member2}, ReplaceWanted: true}},
		{"removing members without a value empties the group",
			`{"op":"remove","path":"members"}`,
			result{Name: "Sales", Replace: []string{}, ReplaceWanted: true}},
		{"operations after a replace edit the new list",
			`{"op":"replace","path":"members","value":[{"value":"` + member1 + `"}]},
			 {"op":"add","path":"members","value":{"value":"` + member2 + `"}},
			 {"op":"remove","path":"members","value":[{"value":"` + member1 + `"}]}`,
			result{Name: "Sales", Replace: []string{member2}, ReplaceWanted: true}},
		{"an add undone by a later remove is a remove",
			`{"op":"add","path":"members","value":[{"value":"` + member3 + `"}]},
			 {"op":"remove","path":"members[value eq \"` + member3 + `\"]"}`,
			result{Name: "Sales", Remove: []string{member3}}},
		{"a pathless add of members",
			`{"op":"add","value":{"members":[{"value":"` + member1 + `"}]}}`,
			result{Name: "Sales", Add: []string{member1}}},
		{"removing a member that cannot exist is a no-op",
			`{"op":"remove","path":"members[value eq \"not-an-id\"]"}`,
			result{Name: "Sales"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := parsePatch([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + tt.ops + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			g := &directory.Group{DisplayName: "Sales"}
			var mc memberChange
			if err := patchGroup(g, groupSchema(), ops, &mc); err != nil {
				t.Fatalf("patchGroup: %v", err)
			}
			got := result{Name: g.DisplayName, Add: sorted(mc.added()), Remove: sorted(mc.removed())}
			if r := mc.replacement(); r != nil {
				got.Replace, got.ReplaceWanted = sorted(*r), true
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func sorted(ids []string) []string {
	if ids == nil {
		return nil
	}
	out := append([]string{}, ids...)
	sort.Strings(out)
	return out
}

func TestPatchGroupRejects(t *testing.T) {
	for name, op := range map[string]string{
		"a member filter on display":     `{"op":"remove","path":"members[display eq \"x\"]"}`,
		"a member's sub-attribute":       `{"op":"replace","path":"members[value eq \"` + member1 + `\"].value","value":"x"}`,
		"a member that is not a user id": `{"op":"add","path":"members","value":[{"value":"bulkId:unresolved"}]}`,
		"a member without a value":       `{"op":"add","path":"members","value":[{"display":"x"}]}`,
		"a displayName that is a number": `{"op":"replace","path":"displayName","value":7}`,
	} {
		t.Run(name, func(t *testing.T) {
			ops, err := parsePatch([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + op + `]}`))
			if err == nil {
				err = patchGroup(&directory.Group{DisplayName: "Sales"}, groupSchema(), ops, &memberChange{})
			}
			if se := errorFor(err); err == nil || se.Status != 400 {
				t.Errorf("error = %v, want a 400", err)
			}
		})
	}
}
