package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/directory"
)

// An organization, or an anonymous caller, must not learn whether an email
// exists in another organization. Each path is asked about an email that
// another organization holds and about one that exists nowhere, and must
// answer alike: status, headers and body (once the email itself and the
// ids and times of what it created are set aside).

// elsewhere is held by a user of globex, on a domain nobody verified, so
// that acme may use it too; nowhere is held by nobody.
const (
	elsewhere = "jdoe@freemail.example"
	nowhere   = "nobody@freemail.example"
)

func enumerationEnv(t *testing.T) *env {
	e := newEnv(t, withImporter(0))
	if _, err := e.svc.CreateUser(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.globex.ID,
		&directory.User{UserName: "jdoe", Email: elsewhere, PasswordHash: e.users["user"].PasswordHash}); err != nil {
		t.Fatal(err)
	}
	return e
}

// sameAnswer fails unless a and b read alike once the emails asked about
// and the volatile parts (ids, times, request ids) are set aside.
func sameAnswer(t *testing.T, what string, a, b *response, emails ...string) {
	t.Helper()
	if a.status != b.status {
		t.Errorf("%s: status %d for an email held elsewhere, %d for one held nowhere", what, a.status, b.status)
	}
	if diff := cmp.Diff(stableHeaders(a.header), stableHeaders(b.header)); diff != "" {
		t.Errorf("%s: headers differ (-elsewhere +nowhere):\n%s", what, diff)
	}
	if diff := cmp.Diff(stableBody(t, a.body, emails), stableBody(t, b.body, emails)); diff != "" {
		t.Errorf("%s: bodies differ (-elsewhere +nowhere):\n%s", what, diff)
	}
}

func stableHeaders(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range []string{"Date", "X-Request-Id", "Location", "Etag"} {
		out.Del(k)
	}
	return out
}

// volatile keys hold what differs between any two answers.
var volatile = map[string]bool{"id": true, "createdAt": true, "updatedAt": true, "version": true, "runId": true,
	"expiresAt": true, "etag": true, "inviteExpiresAt": true, "activatedAt": true}

func stableBody(t *testing.T, body []byte, emails []string) any {
	t.Helper()
	for _, e := range emails {
		body = bytes.ReplaceAll(body, []byte(e), []byte("EMAIL"))
		local := e[:strings.IndexByte(e, '@')]
		body = bytes.ReplaceAll(body, []byte(`"`+local+`"`), []byte(`"LOCAL"`))
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	var strip func(v any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				if volatile[k] {
					delete(x, k)
					continue
				}
				x[k] = strip(sub)
			}
		case []any:
			for i := range x {
				x[i] = strip(x[i])
			}
		}
		return v
	}
	return strip(v)
}

func TestLoginDoesNotTellWhetherAnEmailExistsElsewhere(t *testing.T) {
	t.Parallel()
	e := enumerationEnv(t)
	login := func(org, email string) *response {
		return e.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"org": org, "email": email, "password": testPassword})
	}
	sameAnswer(t, "login in acme", login("acme", elsewhere).want(t, http.StatusUnauthorized), login("acme", nowhere))
	// Without an organization, through the domain globex verified.
	sameAnswer(t, "login by a verified domain", login("", "ghost@globex.example"), login("", "ghost@initech.example"))
}

func TestPasswordResetAnswersAlikeForKnownAndUnknownEmails(t *testing.T) {
	t.Parallel()
	e := enumerationEnv(t)
	forgot := func(org, email string) *response {
		return e.do(http.MethodPost, "/api/v1/auth/password/forgot", "", map[string]string{"org": org, "email": email}).want(t, http.StatusAccepted)
	}
	known := e.users["user"].Email
	sameAnswer(t, "reset in acme, held elsewhere", forgot("acme", elsewhere), forgot("acme", nowhere))
	sameAnswer(t, "reset of a known email", forgot("acme", known), forgot("acme", "ghost@acme.example"))
	sameAnswer(t, "reset by a verified domain", forgot("", "admin@globex.example"), forgot("", "ghost@globex.example"))
	// The lookup and the mail happen after the answer, in the background:
	// the answer waits for no work that depends on the email.
	e.h.background.Wait()
	if e.mail.count(known) != 1 || e.mail.count("admin@globex.example") != 1 || e.mail.count(elsewhere) != 0 {
		t.Errorf("links sent: known %d, globex admin %d, held elsewhere %d; want 1, 1, 0",
			e.mail.count(known), e.mail.count("admin@globex.example"), e.mail.count(elsewhere))
	}
}

func TestInviteAndImportPreviewDoNotTellWhetherAnEmailExistsElsewhere(t *testing.T) {
	t.Parallel()
	e := enumerationEnv(t)
	admin := e.tokens["org_admin"]
	preview := func(email string) *response {
		return e.upload(e.h, "/api/v1/users/import/preview", admin, "text/csv",
			strings.NewReader("userName,email,givenName\n"+email+","+email+",Jo\n")).want(t, http.StatusOK)
	}
	sameAnswer(t, "import preview", preview(elsewhere), preview(nowhere), elsewhere, nowhere)
	// On a domain globex verified, a held and an unheld email are refused
	// alike, naming the domain only.
	sameAnswer(t, "import preview on another organization's domain", preview("admin@globex.example"), preview("ghost@globex.example"),
		"admin@globex.example", "ghost@globex.example")

	invite := func(email string) *response {
		return e.do(http.MethodPost, "/api/v1/users", admin, map[string]any{"userName": email, "email": email, "givenName": "Jo", "role": "user"})
	}
	sameAnswer(t, "invite on another organization's domain", invite("admin@globex.example").want(t, http.StatusConflict),
		invite("ghost@globex.example"), "admin@globex.example", "ghost@globex.example")
	sameAnswer(t, "invite", invite(elsewhere).want(t, http.StatusCreated), invite(nowhere), elsewhere, nowhere)
}

// TestUnknownEmailsCostAPasswordHash checks that a login with an email
// held elsewhere, or nowhere, does the work of a wrong password: one
// argon2id verification, whose memory cost (64 MiB here) dwarfs what
// anything else in a login allocates. Work is counted in bytes allocated,
// which load on the machine does not change, rather than in time.
func TestUnknownEmailsCostAPasswordHash(t *testing.T) {
	e := enumerationEnv(t) // not parallel: the allocation count is process-wide
	params := auth.Params{Memory: 64 << 10, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	a, err := auth.NewAuthenticator(auth.Config{Directory: e.svc, TOTP: &auth.TOTP{Sealer: e.h.cfg.Sealer}, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(testPassword, params)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateUser(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.acme.ID,
		&directory.User{UserName: "ann@acme.example", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	allocated := func(email string) (uint64, error) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := a.PasswordLogin(e.ctx, "acme", email, "not the password")
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, err
	}
	const hashBytes = 64 << 20
	for _, c := range []struct{ what, email string }{
		{"a wrong password of a user of the organization", "ann@acme.example"},
		{"an email held by another organization's user", elsewhere},
		{"an email held nowhere", nowhere},
		{"an email on another organization's domain", "admin@globex.example"},
	} {
		n, err := allocated(c.email)
		if err != auth.ErrBadCredentials { //nolint:errorlint // the one error every failed login returns
			t.Errorf("%s: %v, want the wrong-password error", c.what, err)
		}
		if n < hashBytes {
			t.Errorf("%s allocated %d bytes: no password hash was computed (one takes %d)", c.what, n, hashBytes)
		}
	}
}
