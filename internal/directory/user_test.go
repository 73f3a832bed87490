package directory

import (
	"errors"
	"net/mail"
	"strings"
	"testing"
)

func TestUserValidate(t *testing.T) {
	valid := func() *User {
		u := &User{UserName: "ada@example.com", Status: StatusActive}
		u.Normalize()
		return u
	}
	cases := []struct {
		name   string
		mutate func(*User)
		field  string
	}{
		{"a plain email is a valid userName", func(*User) {}, ""},
		{"a userName need not be an email", func(u *User) { u.UserName, u.Email = "ada", "" }, ""},
		{"a userName may be any text", func(u *User) { u.UserName, u.Email = "Ada Lovelace <ada@example.com> №1", "" }, ""},
		{"a userName is required", func(u *User) { u.UserName = "" }, "userName"},
		{"a userName has no control characters", func(u *User) { u.UserName = "ada\tl" }, "userName"},
		{"a userName has no NUL", func(u *User) { u.UserName = "ada\x00" }, "userName"},
		{"a userName is valid UTF-8", func(u *User) { u.UserName = "ada\xff" }, "userName"},
		{"a userName has at most 256 characters", func(u *User) { u.UserName = strings.Repeat("é", 257) }, "userName"},
		{"256 characters are fine", func(u *User) { u.UserName, u.Email = strings.Repeat("é", 256), "" }, ""},
		{"an email is an email", func(u *User) { u.Email = "ada@localhost" }, "email"},
		{"an unknown role is refused", func(u *User) { u.Role = "root" }, "role"},
		// A connector kind names its own source (see Source.IsDirectory), so
		// an unknown source is one that cannot be a kind's name, or is
		// Roster's own name for something else.
		{"an unknown source is refused", func(u *User) { u.Source = "Fax machine" }, "source"},
		{"an authority is not a source", func(u *User) { u.Source = "admin" }, "source"},
		{"an unknown status is refused", func(u *User) { u.Status = "zombie" }, "status"},
		{"a bad secondary email is refused", func(u *User) { u.Emails = []Email{{Value: "nope"}} }, "emails"},
		{"a huge title is refused", func(u *User) { u.Title = string(make([]byte, maxAttr+1)) }, "title"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := valid()
			c.mutate(u)
			err := u.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalid || e.Field != c.field {
				t.Fatalf("got %v, want invalid %s", err, c.field)
			}
		})
	}
}

func TestValidateBoundsEveryTextAttribute(t *testing.T) {
	for _, a := range UserAttributes() {
		if a.Text == nil || a.Name == UserUserName || a.Name == UserEmail {
			continue // the email checks bound these more tightly
		}
		t.Run(string(a.Name), func(t *testing.T) {
			u := &User{UserName: "ada@example.com", Role: RoleUser, Source: SourceLocal, AuthMethod: AuthLocal, Status: StatusActive}
			*a.Text(u) = strings.Repeat("x", maxAttr+1)
			var e *Error
			if err := u.Validate(); !errors.As(err, &e) || e.Code != CodeInvalid || e.Field != string(a.Name) {
				t.Fatalf("got %v, want invalid %s", err, a.Name)
			}
		})
	}
}

func TestNormalizeDefaults(t *testing.T) {
	u := &User{UserName: " ada@example.com ", Emails: []Email{{Value: "a@work.example.com"}, {Value: "p@example.com", Primary: true}}}
	u.Normalize()
	if u.UserName != "ada@example.com" || u.Email != "p@example.com" || u.Role != RoleUser || u.AuthMethod != AuthLocal || u.Source != SourceLocal {
		t.Fatalf("unexpected normalisation: %+v", u)
	}
}

func TestValidateProperties(t *testing.T) {
	org := &Org{UserProperties: []PropertyDef{
		{Key: "badge", Type: PropertyString, Required: true},
		{Key: "floor", Type: PropertyNumber},
		{Key: "remote", Type: PropertyBoolean},
		{Key: "started", Type: PropertyDate},
	}}
	cases := []struct {
		name       string
		props      map[string]any
		requireAll bool
		ok         bool
	}{
		{"well-typed values pass", map[string]any{"badge": "B1", "floor": 3.0, "remote": true, "started": "2024-02-29"}, true, true},
		{"an unknown key is refused", map[string]any{"badge": "B1", "shoe": "42"}, false, false},
		{"a string for a number is refused", map[string]any{"floor": "3"}, false, false},
		{"a bad date is refused", map[string]any{"started": "2023-02-29"}, false, false},
		{"a missing required value is refused for people", map[string]any{"floor": 2.0}, true, false},
		{"a missing required value is fine for directories", map[string]any{"floor": 2.0}, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateProperties(org, c.props, c.requireAll)
			if (err == nil) != c.ok {
				t.Fatalf("got %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func TestOrgValidate(t *testing.T) {
	base := func() *Org {
		return &Org{Slug: "acme", Name: "Acme", Settings: DefaultOrgSettings(), Domains: []Domain{{Name: "Acme.COM", Primary: true}, {Name: "acme.io"}}}
	}
	if err := base().Validate(); err != nil {
		t.Fatalf("valid org refused: %v", err)
	}
	for name, mutate := range map[string]func(*Org){
		"slug with capitals":     func(o *Org) { o.Slug = "Acme" },
		"no name":                func(o *Org) { o.Name = " " },
		"two primary domains":    func(o *Org) { o.Domains[1].Primary = true },
		"no primary domain":      func(o *Org) { o.Domains[0].Primary = false },
		"a duplicate domain":     func(o *Org) { o.Domains[1].Name = "acme.com" },
		"lockout threshold zero": func(o *Org) { o.Settings.LockoutThreshold = 0 },
		"unknown mfa policy":     func(o *Org) { o.Settings.MFAPolicy = "sometimes" },
		"short passwords":        func(o *Org) { o.Settings.PasswordPolicy.MinLength = 4 },
		"no factor":              func(o *Org) { o.Settings.MFAFactors = nil },
		"unknown factor":         func(o *Org) { o.Settings.MFAFactors = []MFAFactor{"email"} },
		"a factor twice":         func(o *Org) { o.Settings.MFAFactors = []MFAFactor{FactorSMS, FactorTOTP, FactorSMS} },
		"unknown phone region":   func(o *Org) { o.Settings.PhoneRegion = "XX" },
		"lower-case region":      func(o *Org) { o.Settings.PhoneRegion = "de" },
		"bad property key":       func(o *Org) { o.UserProperties = []PropertyDef{{Key: "1x", Type: PropertyString}} },
		"unknown property type":  func(o *Org) { o.UserProperties = []PropertyDef{{Key: "x", Type: "blob"}} },
	} {
		t.Run(name+" is refused", func(t *testing.T) {
			o := base()
			mutate(o)
			if err := o.Validate(); ErrorCode(err) != CodeInvalid {
				t.Fatalf("got %v, want invalid", err)
			}
		})
	}
}

func TestTextIsCheckedWhereverItIsWritten(t *testing.T) {
	for _, c := range []struct {
		what, field string
		err         error
	}{
		{"a NUL in a given name", "name.givenName", (&User{UserName: "ada", GivenName: "A\x00da"}).Validate()},
		{"invalid UTF-8 in a department", "enterprise.department", func() error {
			u := &User{UserName: "ada"}
			u.Enterprise.Department = "R\xffD"
			return u.Validate()
		}()},
		{"a line break in a phone type", "phoneNumbers.type", (&User{UserName: "ada", Profile: Profile{PhoneNumbers: []PhoneNumber{{Value: "+1", Type: "w\nk"}}}}).Validate()},
		{"a tab in a role value", "roles", (&User{UserName: "ada", Roles: []Grant{{Value: "a\tb"}}}).Validate()},
		{"a NUL in a group name", "displayName", (&Group{DisplayName: "g\x00"}).Validate()},
		{"a control character in an organization name", "name", (&Org{Slug: "acme", Name: "Ac\x1bme"}).Validate()},
		{"a line break in a property label", "userProperties.label", (&Org{Slug: "acme", Name: "Acme", Settings: DefaultOrgSettings(),
			UserProperties: []PropertyDef{{Key: "badge", Label: "Bad\nge", Type: PropertyString}}}).Validate()},
		{"a NUL in a role mapping", "roleMappings", (&Org{Slug: "acme", Name: "Acme",
			Settings: OrgSettings{RoleMappings: []RoleMapping{{Value: "adm\x00in", Role: RoleOrgAdmin}}}}).Validate()},
	} {
		var de *Error
		if !errors.As(c.err, &de) || de.Code != CodeInvalid || de.Field != c.field {
			t.Errorf("%s: %v, want invalid %s", c.what, c.err, c.field)
		}
	}
	// Address lines may break; other single-line text may hold any
	// printable character.
	u := &User{UserName: "ada", GivenName: "Zoë 😀", Status: StatusActive, Profile: Profile{Addresses: []Address{{StreetAddress: "1 Main St\nFlat 2", Formatted: "1 Main St\r\n\tFlat 2"}}}}
	u.Normalize()
	if err := u.Validate(); err != nil {
		t.Errorf("valid text refused: %v", err)
	}
}

// TestPlainAddressIsWhatTheParserKeeps holds plainAddress, ValidateEmail's
// shortcut past mail.ParseAddress, to that parser: every address it takes,
// the parser returns unchanged and without a name.
func TestPlainAddressIsWhatTheParserKeeps(t *testing.T) {
	parsed := func(s string) bool {
		a, err := mail.ParseAddress(s)
		return err == nil && a.Address == s && a.Name == ""
	}
	cases := []string{
		"a@b.c", "first.last@example.com", "x+tag@sub.example.org", "o'brien@example.ie",
		"a!#$%&'*+-/=?^_`{|}~z@example.com", "user@localhost", "1@2.3",
		"", "@", "a@", "@b.c", "a@@b.c", "a@b@c.d", ".a@b.c", "a.@b.c", "a..b@c.d",
		"a@.b.c", "a@b.c.", "a@b..c", "a b@c.d", "a@b c.d", " a@b.c", "a@b.c ", "\"a\"@b.c",
		"a@[1.2.3.4]", "Ann <a@b.c>", "a@b.c (Ann)", "a(x)@b.c", "ü@b.c", "a@bü.c", "a\x00@b.c",
		"a\\b@c.d", "a,b@c.d", "a;b@c.d", "a:b@c.d", "a<b@c.d", "a>b@c.d", "a[b@c.d",
	}
	// Every string of up to four characters over an alphabet of the
	// characters the shortcut treats specially.
	alphabet := []string{"a", ".", "@", "+", " ", "\"", "(", "ü"}
	var grow func(prefix string, n int)
	grow = func(prefix string, n int) {
		cases = append(cases, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(prefix+c, n-1)
		}
	}
	grow("", 4)
	for _, s := range cases {
		if plainAddress(s) && !parsed(s) {
			t.Errorf("plainAddress(%q) but mail.ParseAddress does not return it unchanged", s)
		}
		want := parsed(s) && strings.LastIndexByte(s, '@') >= 1 && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
		if got := ValidateEmail("email", s) == nil; got != want && len(s) <= 254 {
			t.Errorf("ValidateEmail(%q) valid = %v, want %v", s, got, want)
		}
	}
}
