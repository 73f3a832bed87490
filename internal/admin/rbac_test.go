package admin

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// TestEveryEndpointForEveryRole walks the route table itself, so that a new
// route cannot escape the check. Routes about one user get a fresh target
// each, and logout a fresh token, so that calls do not disturb each other.
func TestEveryEndpointForEveryRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withConnectors(t), withImporter(0))
	_, tok, err := e.svc.CreateToken(e.ctx, directory.Actor{Kind: directory.ActorOperator}, e.acme.ID, "Entra")
	if err != nil {
		t.Fatal(err)
	}
	// Passkeys allowed, so that their routes answer about the caller.
	for _, admin := range []string{"org_admin", "globex_admin"} {
		e.do(http.MethodPatch, Prefix+"/org/settings", e.tokens[admin], map[string]any{"mfaFactors": []string{"totp", "passkey"}}).want(t, http.StatusOK)
	}
	callers := []string{"org_admin", "org_viewer", "billing_admin", "user", "anonymous", "globex_admin"}
	n := 0
	for _, rt := range e.h.routes {
		for _, who := range callers {
			n++
			target := e.users["user"]
			if strings.HasPrefix(rt.path, "/users/{id}") {
				target = e.createUser(e.acme, fmt.Sprintf("target%d@acme.example", n), directory.RoleUser, "")
			}
			path := strings.NewReplacer("{id}", target.ID, "{run}", target.ID, "{key}", "badge", "{org}", "acme").Replace(rt.path)
			if strings.HasPrefix(rt.path, "/org/scim-tokens/") {
				path = "/org/scim-tokens/" + tok.ID
			}
			token := e.tokens[who]
			if rt.path == "/auth/logout" && who != "anonymous" {
				token = e.token(who) // logging out spends it
			}
			var body any
			if rt.method != http.MethodGet && rt.method != http.MethodDelete {
				body = map[string]any{}
				if b, ok := validBodies[rt.path]; ok {
					body = b
				}
			}
			name := fmt.Sprintf("%s %s as %s", rt.method, rt.path, who)
			t.Run(name, func(t *testing.T) {
				r := e.do(rt.method, Prefix+path, token, body)
				want := expectation(rt, who)
				switch want {
				case "public":
					if r.status == http.StatusForbidden {
						t.Fatalf("refused with %d: %s", r.status, r.body)
					}
				case "allowed":
					if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
						t.Fatalf("refused with %d: %s", r.status, r.body)
					}
				default:
					if fmt.Sprint(r.status) != want {
						t.Fatalf("status %d, want %s: %s", r.status, want, r.body)
					}
				}
				if r.status >= 500 {
					t.Fatalf("server error: %s", r.body)
				}
				if who == "globex_admin" && (strings.Contains(string(r.body), target.UserName) || strings.Contains(string(r.body), "@acme.example")) {
					t.Fatalf("another organization's admin sees acme's data: %s", r.body)
				}
			})
		}
	}
}

// validBodies are bodies that pass validation, so that the answer of a
// route about another organization's object is about the object.
var validBodies = map[string]any{
	"/users/{id}/role": map[string]any{"role": "org_viewer"},
	"/users/{id}/mfa":  map[string]any{"required": true},
}

// expectation says what a caller gets from a route: "allowed" (anything
// but 401 and 403), "public" (anything but 403), or a status.
func expectation(rt route, who string) string {
	switch {
	case rt.perm == permPublic:
		return "public" // may fail for its own reasons (401 for a bad login), never 403
	case who == "anonymous":
		return "401"
	case who == "globex_admin":
		// Another organization's admin reaches its own organization's
		// objects only: acme's user, token and property are not found.
		if strings.Contains(rt.path, "{id}") && !strings.HasPrefix(rt.path, "/me/") || strings.Contains(rt.path, "{key}") {
			return "404"
		}
		return "allowed"
	}
	if allowed, ok := roles[rt.perm]; ok && !hasRole(allowed, directory.Role(who)) {
		return "403"
	}
	return "allowed"
}
