package admin

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// The organization's last active org_admin is never locked for good by
// wrong passwords: it is held off for a minute, then two, doubling with
// each wrong attempt after the delay, while any other user is locked
// until an admin unlocks it.
func TestTheLastAdminIsLockedForAWhileOnly(t *testing.T) {
	forEachStore(t, func(t *testing.T, newEnv func(t *testing.T) *env) {
		e := newEnv(t)
		admin := e.users["org_admin"]
		adminToken := e.tokens["org_admin"]
		session := e.loginSession(admin)
		e.do(http.MethodPatch, "/api/v1/org/settings", adminToken, map[string]any{"lockoutThreshold": 3}).want(t, http.StatusOK)
		wrong := func(u *directory.User) {
			t.Helper()
			r, _ := e.login(u.UserName, "Wrong-Horse-00")
			r.want(t, http.StatusUnauthorized)
		}
		right := func(u *directory.User) int {
			t.Helper()
			r, _ := e.login(u.UserName, testPassword)
			return r.status
		}

		for range 3 {
			wrong(admin)
		}
		got := e.user(admin.ID)
		if got.Status != directory.StatusActive || got.LockedUntil == nil || !got.LockedUntil.Equal(e.clock.Now().Add(time.Minute)) {
			t.Fatalf("after 3 wrong passwords the last admin is %s, locked until %v; want active, locked for a minute", got.Status, got.LockedUntil)
		}
		if right(admin) != http.StatusUnauthorized {
			t.Fatal("the right password opened a temporarily locked account")
		}
		if !e.works(session) {
			t.Error("the admin's session ended with its temporary lock")
		}
		audited(t, e, admin.ID, "user.lock.temporary", "lockedUntil")

		// The delay doubles with the next wrong attempt after it.
		e.clock.Add(time.Minute)
		wrong(admin)
		if got := e.user(admin.ID); got.LockedUntil == nil || !got.LockedUntil.Equal(e.clock.Now().Add(2*time.Minute)) {
			t.Fatalf("after a 4th wrong password: locked until %v, want two minutes from now", got.LockedUntil)
		}
		e.clock.Add(time.Minute)
		if right(admin) != http.StatusUnauthorized {
			t.Fatal("the right password worked a minute into a two-minute lock")
		}
		e.clock.Add(time.Minute)
		if status := right(admin); status != http.StatusOK {
			t.Fatalf("after the delay the right password got %d", status)
		}
		if got := e.user(admin.ID); got.FailedLogins != 0 || got.LockedUntil != nil {
			t.Errorf("after a good login: %d failed logins, locked until %v", got.FailedLogins, got.LockedUntil)
		}

		// Anyone else is locked for good, an admin with another active
		// admin beside it included.
		second := e.createUser(e.acme, "second-admin@acme.example", directory.RoleOrgAdmin, testPassword)
		for _, u := range []*directory.User{e.users["user"], second} {
			for range 3 {
				wrong(u)
			}
			if got := e.user(u.ID); got.Status != directory.StatusLocked {
				t.Errorf("%s (%s) is %s after 3 wrong passwords, want locked", u.UserName, u.Role, got.Status)
			}
		}

		// The API's unlock lifts a temporary lock too, as the CLI's does:
		// here the admin, still signed in, unlocks itself.
		for range 3 {
			wrong(admin)
		}
		if got := e.user(admin.ID); got.LockedUntil == nil {
			t.Fatal("the last admin is not temporarily locked again")
		}
		if r := e.do(http.MethodGet, "/api/v1/users/"+admin.ID, adminToken, nil).want(t, http.StatusOK); r.json["lockedUntil"] == nil {
			t.Errorf("the user view does not show the temporary lock: %s", r.body)
		}
		e.do(http.MethodPost, "/api/v1/users/"+admin.ID+"/unlock", adminToken, nil).want(t, http.StatusOK)
		if got := e.user(admin.ID); got.LockedUntil != nil || got.FailedLogins != 0 || got.Status != directory.StatusActive {
			t.Fatalf("after the API's unlock: %s, %d failed logins, locked until %v", got.Status, got.FailedLogins, got.LockedUntil)
		}
		if status := right(admin); status != http.StatusOK {
			t.Errorf("after the API's unlock the right password got %d", status)
		}
		audited(t, e, admin.ID, "user.unlock", "lockedUntil")
		// A user that is not locked is refused, and nothing changes.
		r := e.do(http.MethodPost, "/api/v1/users/"+admin.ID+"/unlock", adminToken, nil).want(t, http.StatusBadRequest)
		if !strings.Contains(string(r.body), "not locked") {
			t.Errorf("unlocking an unlocked user: %s", r.body)
		}
	})
}

func TestTemporaryLockDelay(t *testing.T) {
	for n, want := range map[int]time.Duration{
		0: time.Minute, 1: 2 * time.Minute, 2: 4 * time.Minute, 5: 32 * time.Minute, 6: time.Hour, 40: time.Hour,
	} {
		if got := directory.TemporaryLockDelay(n); got != want {
			t.Errorf("TemporaryLockDelay(%d) = %v, want %v", n, got, want)
		}
	}
}
