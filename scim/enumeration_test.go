package scim_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSCIMDoesNotTellWhetherAnEmailExistsElsewhere asks one organization's
// token about an email another organization's user holds and about one
// nobody holds: lookups, creates and their refusals read alike.
func TestSCIMDoesNotTellWhetherAnEmailExistsElsewhere(t *testing.T) {
	e := newEnv(t, sqliteStore(t))
	_, globexToken := e.newOrg("globex")
	const elsewhere, nowhere = "jdoe@freemail.example", "nobody@freemail.example"
	e.callAs(globexToken, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+elsewhere+`"}`)

	same := func(what string, a, b *response, held, unheld string) {
		t.Helper()
		if a.status != b.status {
			t.Errorf("%s: %d for an email held elsewhere, %d for one held nowhere", what, a.status, b.status)
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "Www-Authenticate"} {
			if a.header.Get(h) != b.header.Get(h) {
				t.Errorf("%s: %s %q and %q", what, h, a.header.Get(h), b.header.Get(h))
			}
		}
		ab := bytes.ReplaceAll(a.body, []byte(held), []byte("EMAIL"))
		bb := bytes.ReplaceAll(b.body, []byte(unheld), []byte("EMAIL"))
		if a.status != http.StatusCreated { // created users carry their own ids and times
			if diff := cmp.Diff(string(ab), string(bb)); diff != "" {
				t.Errorf("%s: bodies differ (-elsewhere +nowhere):\n%s", what, diff)
			}
		}
	}
	lookup := func(attr, email string) *response {
		return e.call("GET", "/Users?filter="+url.QueryEscape(attr+` eq "`+email+`"`), "")
	}
	for _, attr := range []string{"userName", "emails.value", "emails"} {
		same("a lookup by "+attr, lookup(attr, elsewhere), lookup(attr, nowhere), elsewhere, nowhere)
	}
	create := func(email string) *response {
		return e.call("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+email+`",`+
			`"emails":[{"value":"`+email+`","primary":true}]}`)
	}
	same("a create", create(elsewhere), create(nowhere), elsewhere, nowhere)
	// On the domain globex verified, held and unheld emails are refused
	// alike.
	same("a create on another organization's domain", create("jdoe@globex.example"), create("ghost@globex.example"),
		"jdoe@globex.example", "ghost@globex.example")
	if r := create("ghost2@globex.example"); r.status != http.StatusConflict {
		t.Errorf("a login email on another organization's verified domain = %d %s", r.status, r.body)
	}
}
