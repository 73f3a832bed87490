package console_test

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster/roster/internal/console/consoletest"
	"github.com/roster/roster/internal/directory"
)

// addPasskey stores a passkey of u as if registered.
func addPasskey(t *testing.T, e *consoletest.Env, u *directory.User, name string) *directory.Passkey {
	t.Helper()
	p := &directory.Passkey{OrgID: u.OrgID, UserID: u.ID, CredentialID: []byte(rand.Text()), PublicKey: []byte{1}, AAGUID: make([]byte, 16), Name: name}
	if _, err := e.Svc.AddPasskey(e.Ctx, directory.Actor{Kind: directory.ActorUser, ID: u.ID}, p, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPasskeySettingsAndLoginPages(t *testing.T) {
	e := consoletest.New(t, consoletest.WithLocalhost())
	admin := e.SignIn("org_admin")
	r := admin.Post("/org/security", securityForm(map[string]string{"mfaPolicy": "optional", "mfaFactors": "passkey", "passwordlessPasskeys": "on"}))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.Status, r.Body)
	}
	org, _ := e.Svc.GetOrg(e.Ctx, e.Acme.ID)
	if !org.Settings.PasswordlessPasskeys || !org.Settings.AllowsPasswordless() {
		t.Fatalf("settings after the save: %+v", org.Settings)
	}
	expect(t, "security page", admin.Get("/org/security"), 200, `id="passwordlessPasskeys" name="passwordlessPasskeys" checked`)

	anon := e.Anonymous()
	expect(t, "acme's login page", anon.Get("/o/acme/login"), 200, `id="passkey-signin"`, `data-org="acme"`, `src="/static/passkey.js"`)
	for _, path := range []string{"/o/globex/login", "/login"} {
		if r := anon.Get(path); strings.Contains(r.Body, "passkey-signin") {
			t.Errorf("%s offers a passkey sign-in its organization did not turn on", path)
		}
	}
	js := anon.Get("/static/passkey.js")
	if js.Status != 200 || !strings.Contains(js.Body, "navigator.credentials") {
		t.Fatalf("passkey.js: %d", js.Status)
	}

	// Turned off again, the button goes.
	r = admin.Post("/org/security", securityForm(map[string]string{"mfaPolicy": "optional", "mfaFactors": "passkey"}))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.Status, r.Body)
	}
	if r := anon.Get("/o/acme/login"); strings.Contains(r.Body, "passkey-signin") {
		t.Error("the login page offers a passkey sign-in after it was turned off")
	}
}

func TestMyAccountPasskeys(t *testing.T) {
	e := consoletest.New(t, consoletest.WithLocalhost())
	e.UpdateOrg(e.Acme, func(o *directory.Org) {
		o.Settings.MFAFactors = []directory.MFAFactor{directory.FactorTOTP, directory.FactorPasskey}
	})
	user := e.Users["user"]
	c := e.SignIn("user")
	expect(t, "account without passkeys", c.Get("/account"), 200, `id="passkeys"`, "You have no passkey yet.", `data-passkey="register"`)
	blue := addPasskey(t, e, user, "blue key")
	other := addPasskey(t, e, e.Users["org_viewer"], "viewer's key")
	expect(t, "account", c.Get("/account"), 200, `value="blue key"`, `/account/passkeys/`+blue.ID+`/remove`)

	post := func(path string, form url.Values) *consoletest.Response { return c.Post(path, form) }
	r := post("/account/passkeys/"+blue.ID+"/rename", url.Values{"name": {"green key"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("rename: %d\n%s", r.Status, r.Body)
	}
	expect(t, "rename to nothing", post("/account/passkeys/"+blue.ID+"/rename", url.Values{"name": {"  "}}), 422, "a passkey needs a name")
	expect(t, "rename another user's", post("/account/passkeys/"+other.ID+"/rename", url.Values{"name": {"mine"}}), 404)
	expect(t, "remove another user's", post("/account/passkeys/"+other.ID+"/remove", nil), 404)
	if keys, _ := e.Svc.ListPasskeys(e.Ctx, e.Acme.ID, e.Users["org_viewer"].ID); len(keys) != 1 || keys[0].Name != "viewer's key" {
		t.Errorf("the viewer's passkeys changed: %v", keys)
	}

	// The second step offers the passkey, and no code for a user without
	// an authenticator app.
	c2 := e.Anonymous()
	if r := c2.Post("/login", url.Values{"email": {user.Email}, "password": {consoletest.Password}}); r.Location() != "/login/code" {
		t.Fatalf("login with a passkey: %d to %q", r.Status, r.Location())
	}
	r = c2.Get("/login/code")
	expect(t, "second step", r, 200, `id="passkey-mfa"`)
	if strings.Contains(r.Body, `id="code"`) {
		t.Error("the second step asks for an authenticator code the user has not set up")
	}

	// Required: the last second factor stays.
	e.UpdateOrg(e.Acme, func(o *directory.Org) { o.Settings.MFAPolicy = directory.MFARequired })
	expect(t, "remove the last", post("/account/passkeys/"+blue.ID+"/remove", nil), 422, "last second factor")
	e.UpdateOrg(e.Acme, func(o *directory.Org) { o.Settings.MFAPolicy = directory.MFAOptional })
	if r := post("/account/passkeys/"+blue.ID+"/remove", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d\n%s", r.Status, r.Body)
	}
	if keys, _ := e.Svc.ListPasskeys(e.Ctx, e.Acme.ID, user.ID); len(keys) != 0 {
		t.Errorf("passkeys after the removal: %v", keys)
	}
}
