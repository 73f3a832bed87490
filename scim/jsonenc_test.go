package scim

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// Answers must be byte for byte what json.Marshal writes (internal/jsonenc
// tests the values one by one).
func TestAppendJSONIsJSONMarshal(t *testing.T) {
	now := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	user := &directory.User{
		ID: "01a2095a-8e4a-7152-b41f-1546cb81e81d", OrgID: "org", UserName: "ada@acme.example",
		ExternalID: "ext <&> \"quoted\" \\ back", GivenName: "Zoë", FamilyName: "Ng\u2028line\u0001ctl",
		DisplayName: "Invalid \xff UTF-8", Title: "Engineer", Status: directory.StatusActive,
		Emails: []directory.Email{{Value: "ada@acme.example", Type: "work", Primary: true}, {Value: "home@acme.example", Type: "home", Display: "Home"}},
		Profile: directory.Profile{PhoneNumbers: []directory.PhoneNumber{{Value: "+1 555", Type: "work"}},
			Addresses: []directory.Address{{StreetAddress: "1 Main St", Locality: "Springfield", Primary: true}}},
		Properties: map[string]any{"badge": "B-1", "floor": json.Number("3"), "remote": true, "ratio": 0.25, "tags": []any{"a", nil}},
		CreatedAt:  now, UpdatedAt: now, Version: 7,
	}
	h := &handler{base: "https://roster.example/scim/v2"}
	res := userAttributes(user, h.base)
	res["meta"] = meta("User", location(h.base, "Users", user.ID), user.CreatedAt, user.UpdatedAt, user.Version)
	res["schemas"] = []string{userURN}

	for name, v := range map[string]any{
		"a user":          res,
		"a list response": listResponse{Schemas: []string{listResponseURN}, TotalResults: 2, ItemsPerPage: 1, StartIndex: 1, Resources: []any{res}},
		"a cursor page":   listResponse{Schemas: []string{listResponseURN}, NextCursor: "abc<def>", Resources: []any{}},
		"an empty page":   listResponse{Schemas: []string{listResponseURN}},
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// BenchmarkRenderUser renders a typical user as a SCIM answer.
func BenchmarkRenderUser(b *testing.B) {
	now := time.Now()
	u := &directory.User{ID: "01a2095a-8e4a-7152-b41f-1546cb81e81d", OrgID: "org", UserName: "ada@acme.example",
		ExternalID: "ext-1", GivenName: "Ada", FamilyName: "Lovelace", DisplayName: "Ada Lovelace", Title: "Engineer",
		Status: directory.StatusActive, Emails: []directory.Email{{Value: "ada@acme.example", Type: "work", Primary: true}},
		Enterprise: directory.Enterprise{EmployeeNumber: "1", Department: "R&D"}, CreatedAt: now, UpdatedAt: now, Version: 3}
	base := "https://roster.example/scim/v2"
	render := func() map[string]any {
		res := userAttributes(u, base)
		res["meta"] = meta("User", location(base, "Users", u.ID), u.CreatedAt, u.UpdatedAt, u.Version)
		res["schemas"] = []string{userURN}
		return res
	}
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(render()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendJSON", func(b *testing.B) {
		for b.Loop() {
			if _, err := appendJSON(make([]byte, 0, 1024), render()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
