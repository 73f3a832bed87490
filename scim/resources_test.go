package scim

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

// fullUser has every attribute SCIM shows set.
func fullUser() *directory.User {
	now := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	return &directory.User{
		ID: "01a2095a-8e4a-7152-b41f-1546cb81e81d", OrgID: "org", UserName: "ada@acme.example", ExternalID: "ext-1",
		GivenName: "Ada", FamilyName: "Lovelace", DisplayName: "Ada Lovelace", Title: "Engineer",
		Email: "ada@acme.example", Phone: "+1 555", Status: directory.StatusActive,
		Emails:       []directory.Email{{Value: "ada@acme.example", Type: "work", Primary: true}, {Value: "home@acme.example", Type: "home", Display: "Home"}},
		Roles:        []directory.Grant{{Value: "Admin", Display: "Administrator", Type: "WindowsAzureActiveDirectoryRole", Primary: true}, {Value: "Reader"}},
		Entitlements: []directory.Grant{{Value: "crm", Display: "CRM seat"}},
		Enterprise: directory.Enterprise{EmployeeNumber: "E-1", CostCenter: "CC-1", Organization: "Acme", Division: "R&D",
			Department: "Engines", ManagerID: "01a2095a-8e4a-7152-b41f-000000000001"},
		Profile: directory.Profile{MiddleName: "King", HonorificPrefix: "Lady", HonorificSuffix: "Countess",
			NickName: "Ada", ProfileURL: "https://acme.example/ada", UserType: "Employee", PreferredLanguage: "en-GB",
			Locale: "en-GB", Timezone: "Europe/London",
			PhoneNumbers: []directory.PhoneNumber{{Value: "+1 555", Type: "work"}},
			Addresses:    []directory.Address{{StreetAddress: "1 Main St", Locality: "London", Country: "GB", Primary: true}}},
		Properties: map[string]any{"badge": "B-1"},
		CreatedAt:  now, UpdatedAt: now, Version: 7,
	}
}

// TestUserAttributesGolden pins the SCIM rendering of every attribute, and
// checks that parsing the rendering gives the user back.
func TestUserAttributesGolden(t *testing.T) {
	u := fullUser()
	got, err := json.MarshalIndent(userAttributes(u, "https://roster.example/scim/v2"), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/user_attributes.golden.json"
	if os.Getenv("ROSTER_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, append(got, '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
		t.Errorf("rendering (-want +got):\n%s", diff)
	}

	var attrs map[string]any
	if err := json.Unmarshal(got, &attrs); err != nil {
		t.Fatal(err)
	}
	var back directory.User
	if err := applyUserAttributes(&back, attrs); err != nil {
		t.Fatal(err)
	}
	back.ID, back.OrgID, back.Status, back.CreatedAt, back.UpdatedAt, back.Version = u.ID, u.OrgID, u.Status, u.CreatedAt, u.UpdatedAt, u.Version
	if diff := cmp.Diff(u, &back); diff != "" {
		t.Errorf("parsed back (-want +got):\n%s", diff)
	}
}

// TestEveryTextAttributeRoundTrips sets each catalogue text attribute SCIM
// shows alone and reads it back through the rendering.
func TestEveryTextAttributeRoundTrips(t *testing.T) {
	for _, a := range directory.UserAttributes() {
		if a.Text == nil || a.SCIMName == "" || insideMultiValued(a) {
			continue
		}
		t.Run(string(a.Name), func(t *testing.T) {
			var u directory.User
			*a.Text(&u) = "v-" + string(a.Name)
			b, err := json.Marshal(userAttributes(&u, "https://roster.example/scim/v2"))
			if err != nil {
				t.Fatal(err)
			}
			var attrs map[string]any
			if err := json.Unmarshal(b, &attrs); err != nil {
				t.Fatal(err)
			}
			var back directory.User
			if err := applyUserAttributes(&back, attrs); err != nil {
				t.Fatal(err)
			}
			if got := *a.Text(&back); got != "v-"+string(a.Name) {
				t.Errorf("read back %q from %s", got, b)
			}
			if _, _, ok := userSchema(nil, true).resolve(a.Schema, topName(a.SCIMName)); !ok {
				t.Errorf("/Schemas does not list %s", a.FullSCIMPath())
			}
		})
	}
}

func topName(path string) string {
	for i := range path {
		if path[i] == '.' {
			return path[:i]
		}
	}
	return path
}

// TestUserSchemaGolden pins the /Schemas documents of the User resource.
func TestUserSchemaGolden(t *testing.T) {
	rs := userSchema(nil, true)
	got, err := json.MarshalIndent(append([]any{rs.core}, func() []any {
		var out []any
		for _, e := range rs.extensions {
			out = append(out, e)
		}
		return out
	}()...), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/user_schema.golden.json"
	if os.Getenv("ROSTER_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, append(got, '\n'), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
		t.Errorf("/Schemas (-want +got):\n%s", diff)
	}
}
