package scim

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSelection(t *testing.T) {
	u := baseUser()
	u.Enterprise.EmployeeNumber, u.Enterprise.Department = "701984", "Tours"
	u.CreatedAt, u.UpdatedAt, u.Version = time.Unix(0, 0), time.Unix(0, 0), 3
	render := func() map[string]any {
		m := userAttributes(u, "https://h/scim/v2")
		m["id"], m["schemas"] = u.ID, []string{userURN}
		m["meta"] = meta("User", "https://h/scim/v2/Users/"+u.ID, u.CreatedAt, u.UpdatedAt, u.Version)
		return m
	}
	rs := userSchema(testOrg, false)
	tests := []struct {
		name              string
		attributes, minus string
		want              map[string]any
	}{
		{"attributes keeps what is named and id and schemas", "userName,name.givenName", "",
			map[string]any{"id": u.ID, "schemas": []string{userURN}, "userName": u.UserName, "name": map[string]any{"givenName": "Barbara"}}},
		{"names and sub-attributes ignore case", "USERNAME,Emails.Value", "",
			map[string]any{"id": u.ID, "schemas": []string{userURN}, "userName": u.UserName,
				"emails": []any{map[string]any{"value": "bjensen@example.com"}, map[string]any{"value": "babs@jensen.org"}}}},
		{"an extension attribute by URN", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "",
			map[string]any{"id": u.ID, "schemas": []string{userURN}, enterpriseURN: map[string]any{"employeeNumber": "701984"}}},
		{"a whole extension by URN", enterpriseURN, "",
			map[string]any{"id": u.ID, "schemas": []string{userURN}, enterpriseURN: map[string]any{"employeeNumber": "701984", "department": "Tours"}}},
		{"an extension attribute by bare name", "department", "",
			map[string]any{"id": u.ID, "schemas": []string{userURN}, enterpriseURN: map[string]any{"department": "Tours"}}},
		{"meta sub-attributes", "meta.version", "",
			map[string]any{"id": u.ID, "schemas": []string{userURN}, "meta": map[string]any{"version": `W/"3"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newSelection(splitList(tt.attributes), splitList(tt.minus), rs).apply(render())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	t.Run("excludedAttributes drops what is named but never the id", func(t *testing.T) {
		got := newSelection(nil, []string{"emails", "name.familyName", "id", "meta", enterpriseURN}, rs).apply(render())
		want := render()
		delete(want, "emails")
		delete(want, "meta")
		delete(want, enterpriseURN)
		delete(want["name"].(map[string]any), "familyName")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestSelectionDecidesWhatToLoad(t *testing.T) {
	gs := groupSchema()
	for _, tt := range []struct {
		attributes, excluded string
		members              bool
	}{
		{"", "", true},
		{"", "members", false},
		{"", "Members", false},
		{"", "members.display", true},
		{"displayName", "", false},
		{"members.value", "", true},
	} {
		sel := newSelection(splitList(tt.attributes), splitList(tt.excluded), gs)
		if got := sel.returns("members"); got != tt.members {
			t.Errorf("attributes=%q excludedAttributes=%q: returns(members) = %v, want %v", tt.attributes, tt.excluded, got, tt.members)
		}
	}
	us := userSchema(nil, false)
	if newSelection(nil, nil, us).requested("groups") {
		t.Error("groups are returned by default; they should be returned only on request")
	}
	if !newSelection([]string{"groups"}, nil, us).requested("groups") {
		t.Error("attributes=groups does not request groups")
	}
}
