package engine_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// storeConnector makes a bare LDAP connector row for engine runs into the
// store (no runner, no directory client).
func storeConnector(e *env, name string) *directory.Connector {
	e.t.Helper()
	c, err := e.dir.CreateConnector(e.ctx, e.admin, e.org.ID, &directory.Connector{Name: name, Kind: directory.ConnectorKind("ldap"),
		Deprovision: directory.DeprovisionSuspend, Enabled: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// storeRun runs the engine over entries into the store, as connector c.
func storeRun(e *env, c *directory.Connector, entries []engine.Entry, full bool) *engine.Report {
	e.t.Helper()
	actor := directory.Actor{Kind: directory.ActorConnector, ID: c.ID, Name: c.Name, Source: directory.SourceLDAP}
	job := engine.Job{
		Scope: directory.SyncScope{OrgID: e.org.ID, ConnectorID: c.ID, Actor: actor,
			Fields: []directory.Attr{directory.UserUserName, directory.UserTitle, directory.UserDepartment, "properties.badge"}},
		Connector: &fakeConnector{entries: entries, full: full},
		Policy:    engine.Policy{Deprovision: engine.DeprovisionSuspend, Threshold: 1},
	}
	rep, err := engine.NewEngine(e.dir, 3, 0).Run(e.ctx, job)
	if err != nil {
		e.t.Fatalf("engine run: %v", err)
	}
	return rep
}

func TestTheDirectoryNeverLiftsWhatItDidNotSet(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		e := newEnv(t, store)
		c := storeConnector(e, "AD")
		storeRun(e, c, users(4), true)
		job := directory.Actor{Kind: directory.ActorJob, ID: "inactivity"}
		steps := []struct {
			who    directory.Actor
			user   string
			change func(id string) error
		}{
			{e.admin, "user1@corp.test", func(id string) error {
				_, err := e.dir.SetStatus(e.ctx, e.admin, e.org.ID, id, directory.StatusSuspended, "banned")
				return err
			}},
			{job, "user2@corp.test", func(id string) error {
				_, err := e.dir.SetStatus(e.ctx, job, e.org.ID, id, directory.StatusInactive, "no login for 90 days")
				return err
			}},
			{e.admin, "user3@corp.test", func(id string) error {
				_, err := e.dir.DeleteUser(e.ctx, e.admin, e.org.ID, id, 0)
				return err
			}},
		}
		for _, s := range steps {
			if err := s.change(e.user(s.user).ID); err != nil {
				t.Fatal(err)
			}
		}
		// The directory changes every user, still enabled.
		dir := users(4)
		for _, en := range dir {
			en.User.Attrs[directory.UserTitle] = "Director"
		}

		rep := storeRun(e, c, dir, true)

		if rep.Counts[directory.SyncReactivate] != 0 || rep.Counts[directory.SyncRestore] != 0 {
			t.Errorf("counts = %v: the directory lifted a status it did not set", rep.Counts)
		}
		want := []string{"user1@corp.test suspended", "user2@corp.test inactive", "user3@corp.test deleted", "user4@corp.test active"}
		if diff := cmp.Diff(want, e.users()); diff != "" {
			t.Errorf("users (-want +got):\n%s", diff)
		}
		if u := e.user("user1@corp.test"); u.Title != "Director" || u.StatusSetBy != directory.AuthorityAdmin {
			t.Errorf("the banned user = %q set by %s; want its attributes synced and the ban kept", u.Title, u.StatusSetBy)
		}
		if u := e.user("user3@corp.test"); u.Title != "Engineer" {
			t.Errorf("the deleted user was changed (title %q)", u.Title)
		}
	})
}

func TestBatchesReportBadValuesAndTakenNames(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		e := newEnv(t, store)
		c := storeConnector(e, "AD")
		local, err := e.dir.CreateUser(e.ctx, e.admin, e.org.ID, &directory.User{UserName: "taken@corp.test"})
		if err != nil {
			t.Fatal(err)
		}
		dir := users(4)
		dir[0].User.Attrs["properties.badge"] = "42"
		dir[1].User.Attrs["properties.badge"] = "forty-two"
		dir[2].User.Attrs[directory.UserUserName] = "TAKEN@corp.test"

		rep := storeRun(e, c, dir, true)

		if diff := cmp.Diff(map[directory.SyncAction]int{directory.SyncCreate: 2, directory.SyncError: 1, directory.SyncConflict: 1}, rep.Counts); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}
		if got := e.user("user1@corp.test").Properties["badge"]; got != float64(42) {
			t.Errorf("badge = %#v, want 42", got)
		}
		errs := map[string]string{}
		for _, it := range rep.Errors {
			errs[it.Ref] = it.Detail
		}
		if !strings.Contains(errs["ref-2"], "number") || !strings.Contains(errs["ref-3"], "local") {
			t.Errorf("errors = %v", errs)
		}
		if u := e.user("taken@corp.test"); u.ID != local.ID || u.Source != directory.SourceLocal {
			t.Error("the local user was taken over")
		}

		// A rename onto a taken name fails alone; the directory clearing an
		// attribute clears it.
		dir = users(4)
		dir[0].User.Attrs[directory.UserUserName] = "taken@corp.test"
		dir[3].User.Attrs[directory.UserUserName] = "USER4.renamed@corp.test"
		delete(dir[3].User.Attrs, directory.UserTitle)
		rep = storeRun(e, c, dir, true)
		if diff := cmp.Diff(map[directory.SyncAction]int{directory.SyncConflict: 1, directory.SyncUpdate: 1, directory.SyncCreate: 2}, rep.Counts); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}
		if u := e.user("user4.renamed@corp.test"); u.Title != "" || u.SourceRef != "ref-4" {
			t.Errorf("renamed user = %q, title %q", u.UserName, u.Title)
		}
	})
}

func TestARecreatedConnectorTakesItsUsersBack(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		e := newEnv(t, store)
		old := storeConnector(e, "AD")
		dir := append(users(3), dirGroup("g-1", "Engineering", "dn-ref-1", "dn-ref-2"))
		storeRun(e, old, dir, true)
		if err := e.dir.DeleteConnector(e.ctx, e.admin, e.org.ID, old.ID); err != nil {
			t.Fatal(err)
		}
		c := storeConnector(e, "AD again")

		rep := storeRun(e, c, dir, true)

		if rep.Counts[directory.SyncConflict] != 0 || rep.Counts[directory.SyncCreate] != 0 || rep.Counts[directory.SyncError] != 0 {
			t.Errorf("counts = %v, want the users and group taken back", rep.Counts)
		}
		if again := storeRun(e, c, dir, true); len(again.Counts) != 0 {
			t.Errorf("a second run counts %v, want nothing", again.Counts)
		}
		if len(e.users()) != 3 {
			t.Errorf("users = %v", e.users())
		}
		if diff := cmp.Diff([]string{"user1@corp.test", "user2@corp.test"}, e.members("Engineering")); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
	})
}

func TestDirectoryValuesWithBadTextAreSkippedAndReported(t *testing.T) {
	var mu sync.Mutex
	answers := map[string]map[string]string{}
	t.Run("stores", func(t *testing.T) {
		forEachStore(t, func(t *testing.T, store directory.Store) {
			e := newEnv(t, store)
			c := storeConnector(e, "AD")
			dir := users(6)
			dir[0].User.Attrs[directory.UserTitle] = "Chief\x00Engineer"    // NUL
			dir[1].User.Attrs[directory.UserDepartment] = "R\xffD"          // invalid UTF-8
			dir[2].User.Attrs[directory.UserUserName] = "user3\n@corp.test" // a line break in an identifier
			dir[3].User.Attrs["properties.badge"] = "4\x002"                // NUL in a custom property
			dir = append(dir, dirGroup("g-bad", "Eng\x00ineering", "dn-ref-5"), dirGroup("g-ok", "Platform", "dn-ref-6"))

			rep := storeRun(e, c, dir, true)

			want := map[directory.SyncAction]int{directory.SyncCreate: 2, directory.SyncError: 5, directory.SyncGroupCreate: 1, directory.SyncMemberAdd: 1}
			if diff := cmp.Diff(want, rep.Counts); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			errs := map[string]string{}
			for _, it := range rep.Errors {
				errs[it.Ref] = it.Detail
			}
			for ref, field := range map[string]string{"ref-1": "title", "ref-2": "department", "ref-3": "userName", "ref-4": "badge", "g-bad": "displayName"} {
				if !strings.Contains(errs[ref], field) {
					t.Errorf("error of %s = %q, want it to name %s", ref, errs[ref], field)
				}
			}
			// The rest of the run went on; nothing of the bad objects is stored.
			if diff := cmp.Diff([]string{"user5@corp.test active", "user6@corp.test active"}, e.users()); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
			mu.Lock()
			answers[t.Name()] = errs
			mu.Unlock()
		})
	})
	var first map[string]string
	for _, errs := range answers {
		if first != nil {
			if diff := cmp.Diff(first, errs); diff != "" {
				t.Errorf("the stores report differently:\n%s", diff)
			}
		}
		first = errs
	}
}
