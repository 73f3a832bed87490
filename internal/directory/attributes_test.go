package directory

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestCatalogueNamesAreUniqueAndFindable(t *testing.T) {
	seen := map[Attr]bool{}
	for _, a := range UserAttributes() {
		if seen[a.Name] {
			t.Errorf("attribute %q is declared twice", a.Name)
		}
		seen[a.Name] = true
		got, ok := UserAttribute(a.Name)
		if !ok || got != a {
			t.Errorf("UserAttribute(%q) does not find its own entry", a.Name)
		}
		if a.Label == "" {
			t.Errorf("attribute %q has no label", a.Name)
		}
		if (a.Schema == "") != (a.SCIMName == "") {
			t.Errorf("attribute %q: a SCIM name needs a schema and a schema a name", a.Name)
		}
	}
	if _, ok := UserAttribute("enterprise.nonsense"); ok {
		t.Error("an undeclared attribute was found")
	}
}

func TestCatalogueTextAccessorsReachDistinctFields(t *testing.T) {
	var u User
	for _, a := range UserAttributes() {
		if a.Text == nil {
			continue
		}
		*a.Text(&u) = "value of " + string(a.Name)
	}
	for _, a := range UserAttributes() {
		if a.Text == nil {
			continue
		}
		if got := *a.Text(&u); got != "value of "+string(a.Name) {
			t.Errorf("attribute %q reads %q: two attributes share a field", a.Name, got)
		}
	}
	if u.Enterprise.CostCenter != "value of enterprise.costCenter" || u.Title != "value of title" {
		t.Errorf("accessors do not reach the User's fields: %+v", u)
	}
}

func TestFullSCIMPath(t *testing.T) {
	for name, want := range map[Attr]string{
		UserGivenName:  "name.givenName",
		UserCostCenter: SchemaEnterprise + ":costCenter",
		UserRole:       "",
	} {
		a, _ := UserAttribute(name)
		if got := a.FullSCIMPath(); got != want {
			t.Errorf("%s: FullSCIMPath() = %q, want %q", name, got, want)
		}
	}
}

func TestAttributeLabel(t *testing.T) {
	for name, want := range map[string]string{
		"enterprise.costCenter": "Cost center",
		"properties.badge":      "Property badge",
		"statusReason":          "statusReason",
	} {
		if got := AttributeLabel(name); got != want {
			t.Errorf("AttributeLabel(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestDefaultSourcesOnlyFeedMappableAttributes(t *testing.T) {
	for _, family := range []string{"ldap", "ad", "entra"} {
		m := DefaultSources(family)
		if m[UserUserName] == "" {
			t.Errorf("%s: userName has no default source", family)
		}
		for name, src := range m {
			a, _ := UserAttribute(name)
			if !a.Mappable() {
				t.Errorf("%s: %q has a default source but a directory may not write it", family, name)
			}
			if strings.TrimSpace(src) == "" {
				t.Errorf("%s: %q has a blank source", family, name)
			}
		}
	}
}

func TestUserAuditFieldsKeepTheirNames(t *testing.T) {
	u := &User{UserName: "ada@example.com", GivenName: "Ada", Enterprise: Enterprise{CostCenter: "CC"}, Properties: map[string]any{"badge": "B"}}
	f := userAuditFields(u)
	for _, name := range []string{
		"userName", "externalId", "sourceRef", "name.givenName", "name.familyName", "displayName", "email", "emails",
		"phone", "title", "enterprise", "profile", "role", "authMethod", "status", "statusReason", "source", "properties.badge",
	} {
		if _, ok := f[name]; !ok {
			t.Errorf("audit events no longer show %q", name)
		}
	}
	if f["name.givenName"] != "Ada" || f["enterprise"] != u.Enterprise {
		t.Errorf("audit fields hold the wrong values: %v", f)
	}
	for name := range f {
		if strings.HasPrefix(name, "enterprise.") {
			t.Errorf("%s is audited twice: on its own and inside enterprise", name)
		}
	}
}

// docs/attributes.md says what each catalogue field drives: it must name
// every one.
func TestAttributesPageNamesEveryField(t *testing.T) {
	page, err := os.ReadFile("../../docs/attributes.md")
	if err != nil {
		t.Fatal(err)
	}
	fields := reflect.TypeFor[Attribute]()
	for i := range fields.NumField() {
		name := fields.Field(i).Name
		if !strings.Contains(string(page), "| `"+name+"` |") {
			t.Errorf("docs/attributes.md does not say what %s drives", name)
		}
	}
}
