package scim

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// mapUserJSON is how a user answered whole was encoded before userDoc: its
// attribute map, with schemas, id and meta, through encoding/json.
func mapUserJSON(t *testing.T, u *directory.User, base string, schemas []string) string {
	t.Helper()
	m := userAttributes(u, base)
	m["schemas"], m["id"] = schemas, u.ID
	m["meta"] = meta("User", location(base, "Users", u.ID), u.CreatedAt, u.UpdatedAt, u.Version)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// texts are values a generated user's strings are drawn from: empty,
// plain, unicode, escapes, HTML characters and invalid UTF-8.
var texts = []string{
	"", "", "", "ada", "Ada Lovelace", "Zoë Ñúñez", "李小龙", "emoji 🎉", "tab\there", "quote \" back \\",
	"<b>&amp;</b>", "line\u2028sep", "nul\x00byte", "bad \xff utf8", "  padded  ", "+1 555 0100",
}

func randomUser(r *rand.Rand, i int) *directory.User {
	s := func() string { return texts[r.IntN(len(texts))] }
	now := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(1e6)) * time.Second)
	u := &directory.User{
		ID: "01a2095a-8e4a-7152-b41f-1546cb81e81d", OrgID: "org", UserName: s(), ExternalID: s(),
		GivenName: s(), FamilyName: s(), DisplayName: s(), Title: s(), OfficeLocation: s(),
		Enterprise: directory.Enterprise{EmployeeNumber: s(), CostCenter: s(), Organization: s(), Division: s(), Department: s()},
		Profile: directory.Profile{MiddleName: s(), HonorificPrefix: s(), HonorificSuffix: s(), NickName: s(),
			ProfileURL: s(), UserType: s(), PreferredLanguage: s(), Locale: s(), Timezone: s()},
		Status:    []directory.Status{directory.StatusActive, directory.StatusSuspended, directory.StatusPending, directory.StatusLocked}[r.IntN(4)],
		CreatedAt: now, UpdatedAt: now.Add(time.Hour), Version: int64(1 + r.IntN(1000)),
	}
	if i%3 == 0 {
		u.Enterprise.ManagerID = "01a2095a-8e4a-7152-b41f-1546cb81e81e"
	}
	for range r.IntN(3) {
		u.Emails = append(u.Emails, directory.Email{Value: s(), Type: s(), Display: s(), Primary: r.IntN(2) == 0})
	}
	for range r.IntN(3) {
		u.Profile.PhoneNumbers = append(u.Profile.PhoneNumbers, directory.PhoneNumber{Value: s(), Type: s(), Primary: r.IntN(2) == 0})
	}
	for range r.IntN(2) {
		u.Profile.Addresses = append(u.Profile.Addresses, directory.Address{Formatted: s(), StreetAddress: s(), Locality: s(),
			Region: s(), PostalCode: s(), Country: s(), Type: s(), Primary: r.IntN(2) == 0})
	}
	for range r.IntN(3) {
		u.Roles = append(u.Roles, directory.Grant{Value: s(), Type: s(), Display: s(), Primary: r.IntN(2) == 0})
	}
	for range r.IntN(3) {
		u.Entitlements = append(u.Entitlements, directory.Grant{Value: s(), Type: s(), Display: s(), Primary: r.IntN(2) == 0})
	}
	switch i % 4 {
	case 1:
		u.Properties = map[string]any{"costCode": s(), "floor": float64(r.IntN(40)), "remote": r.IntN(2) == 0,
			"ratio": 0.25, "big": 1e22, "tiny": 1e-9, "since": "2026-01-02", "tags": []any{"a", nil}, "gone": nil}
	case 2:
		u.Properties = map[string]any{"gone": nil} // only empty values: an empty object
	case 3:
		u.Properties = map[string]any{"Zeta": s(), "alpha": json.Number("3"), "ünïcode": s()}
	}
	return u
}

// A user answered whole is written byte for byte as its map was.
func TestUserDocIsTheMapEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 2026))
	schemas := userSchema(nil, true).ids()
	for _, base := range []string{"https://roster.example/scim/v2", "https://roster.example/a&b<c>/scim/v2"} {
		for i := range 2000 {
			u := randomUser(r, i)
			want := mapUserJSON(t, u, base, schemas)
			got, err := appendJSON(nil, userDoc{u: u, base: base, schemas: schemas})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Fatalf("user %d:\n got %s\nwant %s", i, got, want)
			}
			// encoding/json, through MarshalJSON, agrees.
			if viaMarshal, err := json.Marshal(userDoc{u: u, base: base, schemas: schemas}); err != nil || string(viaMarshal) != want {
				t.Fatalf("user %d through json.Marshal: %v\n got %s\nwant %s", i, err, viaMarshal, want)
			}
		}
	}
}

// Every attribute is written somewhere: a user with all of them set
// renders as many keys as its map has.
func TestUserDocWritesEveryAttribute(t *testing.T) {
	u := &directory.User{ID: "01a2095a-8e4a-7152-b41f-1546cb81e81d", UserName: "u", ExternalID: "x", GivenName: "g", FamilyName: "f",
		DisplayName: "d", Title: "t", OfficeLocation: "o", Status: directory.StatusActive,
		Enterprise: directory.Enterprise{EmployeeNumber: "1", CostCenter: "2", Organization: "3", Division: "4", Department: "5", ManagerID: "m"},
		Profile: directory.Profile{MiddleName: "m", HonorificPrefix: "p", HonorificSuffix: "s", NickName: "n", ProfileURL: "u",
			UserType: "t", PreferredLanguage: "l", Locale: "l", Timezone: "z",
			PhoneNumbers: []directory.PhoneNumber{{Value: "1"}}, Addresses: []directory.Address{{Locality: "x"}}},
		Emails: []directory.Email{{Value: "e"}}, Roles: []directory.Grant{{Value: "r"}}, Entitlements: []directory.Grant{{Value: "e"}},
		Properties: map[string]any{"k": "v"}}
	schemas := []string{userURN}
	got, err := appendJSON(nil, userDoc{u: u, base: "https://b", schemas: schemas})
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := json.Unmarshal(got, &decoded); err != nil {
		t.Fatal(err)
	}
	want := userAttributes(u, "https://b")
	if len(decoded) != len(want)+3 {
		t.Errorf("%d attributes written, want %d: %s", len(decoded), len(want)+3, got)
	}
	if s := mapUserJSON(t, u, "https://b", schemas); string(got) != s {
		t.Errorf("\n got %s\nwant %s", got, s)
	}
}

// A custom property encoding/json cannot write fails as it did.
func TestUserDocUnencodableProperty(t *testing.T) {
	u := &directory.User{ID: "id", UserName: "u", Properties: map[string]any{"bad": func() {}}}
	if _, err := appendJSON(nil, userDoc{u: u, base: "https://b"}); err == nil {
		t.Error("a func property encoded")
	}
}
