package importer

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// fakeDirectory is an in-memory stand-in for the directory service, enough
// for the importer's own rules; the service's are tested over SQLite in
// integration_test.go.
type fakeDirectory struct {
	mu      sync.Mutex
	orgs    map[string]*directory.Org
	users   map[string]*directory.User // by id
	lookups int                        // FindUsersByUserNames calls
	batches []int                      // rows per ImportUsers call
	runs    []*directory.ImportRun
	seq     int
	// failAfter, if set, fails the write of every batch after the first
	// failAfter, as a database going away would.
	failAfter int
}

func newFakeDirectory(orgs ...*directory.Org) *fakeDirectory {
	d := &fakeDirectory{orgs: map[string]*directory.Org{}, users: map[string]*directory.User{}}
	for _, o := range orgs {
		d.orgs[o.ID] = o
	}
	return d
}

func (d *fakeDirectory) add(u *directory.User) *directory.User {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	if u.ID == "" {
		u.ID = idFor(d.seq)
	}
	if u.Status == "" {
		u.Status = directory.StatusActive
	}
	if u.Source == "" {
		u.Source = directory.SourceLocal
	}
	if u.Role == "" {
		u.Role = directory.RoleUser
	}
	if u.AuthMethod == "" {
		u.AuthMethod = directory.AuthLocal
	}
	if u.Email == "" {
		u.Email = u.UserName
	}
	u.Version = 1
	d.users[u.ID] = u
	return u
}

func idFor(n int) string {
	const digits = "0123456789"
	s := "u"
	for _, p := range []int{100000, 10000, 1000, 100, 10, 1} {
		s += string(digits[n/p%10])
	}
	return s
}

func (d *fakeDirectory) GetOrg(_ context.Context, id string) (*directory.Org, error) {
	if o, ok := d.orgs[id]; ok {
		return o, nil
	}
	return nil, directory.Errorf(directory.CodeNotFound, "org not found")
}

func (d *fakeDirectory) FindOrgByDomain(_ context.Context, domain string) (*directory.Org, error) {
	for _, o := range d.orgs {
		if dom, ok := o.Domain(domain); ok && dom.Verified {
			return o, nil
		}
	}
	return nil, directory.Errorf(directory.CodeNotFound, "org not found")
}

func (d *fakeDirectory) GetOrgBySlug(_ context.Context, slug string) (*directory.Org, error) {
	for _, o := range d.orgs {
		if o.Slug == slug {
			return o, nil
		}
	}
	return nil, directory.Errorf(directory.CodeNotFound, "org not found")
}

func (d *fakeDirectory) ListUsers(_ context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var all []*directory.User
	for _, u := range d.users {
		if u.OrgID == orgID && u.ID > q.After && (q.IncludeDeleted || !u.Deleted()) {
			all = append(all, u)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	page := &directory.UserPage{}
	if len(all) > q.Limit {
		all = all[:q.Limit]
		page.Next = all[len(all)-1].ID
	}
	page.Users = all
	return page, nil
}

// FindUsersByUserNames looks names up in an organization ("": any).
func (d *fakeDirectory) FindUsersByUserNames(_ context.Context, orgID string, names []string) ([]*directory.User, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lookups++
	want := map[string]bool{}
	for _, n := range names {
		want[strings.ToLower(n)] = true
	}
	var out []*directory.User
	for _, u := range d.users {
		if want[strings.ToLower(u.UserName)] && (orgID == "" || u.OrgID == orgID) {
			out = append(out, u.Clone())
		}
	}
	return out, nil
}

func (d *fakeDirectory) ImportUsers(_ context.Context, _ directory.Actor, orgID string, rows []directory.ImportRow) ([]directory.ImportResult, error) {
	d.mu.Lock()
	d.batches = append(d.batches, len(rows))
	d.mu.Unlock()
	results := make([]directory.ImportResult, len(rows))
	for i, row := range rows {
		found, _ := d.FindUsersByUserNames(context.Background(), orgID, []string{row.UserName})
		if row.Create != nil && (row.Update == nil || len(found) == 0) {
			if len(found) > 0 {
				results[i] = directory.ImportResult{Action: directory.ImportFailed, Err: directory.FieldErrorf(directory.CodeConflict, "userName", "userName is already taken")}
				continue
			}
			u := row.Create.Clone()
			u.OrgID = orgID
			if u.AuthMethod == directory.AuthSSO {
				u.Status = directory.StatusActive
			} else {
				u.Status = directory.StatusPending
			}
			results[i] = directory.ImportResult{Action: directory.ImportCreated, User: d.add(u)}
			continue
		}
		if len(found) == 0 || found[0].OrgID != orgID {
			results[i] = directory.ImportResult{Action: directory.ImportFailed, Err: directory.Errorf(directory.CodeNotFound, "no such user")}
			continue
		}
		next := found[0].Clone()
		if err := row.Update(next); err != nil {
			results[i] = directory.ImportResult{Action: directory.ImportFailed, Err: err}
			continue
		}
		if reflect.DeepEqual(next, found[0]) {
			results[i] = directory.ImportResult{Action: directory.ImportUnchanged, User: found[0]}
			continue
		}
		d.mu.Lock()
		next.Version++
		d.users[next.ID] = next
		d.mu.Unlock()
		results[i] = directory.ImportResult{Action: directory.ImportUpdated, User: next}
	}
	return results, nil
}

func (d *fakeDirectory) StartImportRun(_ context.Context, actor directory.Actor, run *directory.ImportRun) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	run.ActorKind, run.ActorID, run.ActorName = actor.Kind, actor.ID, actor.Name
	if run.ID == "" {
		run.ID = directory.NewID()
	}
	run.Status = directory.ImportRunning
	d.runs = append(d.runs, run)
	return nil
}

// ImportAll runs fn as a transaction: on error, the users are as before.
func (d *fakeDirectory) ImportAll(ctx context.Context, actor directory.Actor, run *directory.ImportRun, fn func(write directory.ImportWriter) error) error {
	d.mu.Lock()
	before := make(map[string]*directory.User, len(d.users))
	for id, u := range d.users {
		before[id] = u
	}
	seq := d.seq
	d.mu.Unlock()
	err := fn(func(rows []directory.ImportRow) ([]directory.ImportResult, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if d.failAfter > 0 && len(d.batches) >= d.failAfter {
			return nil, directory.Internal(errors.New("the database went away"))
		}
		return d.ImportUsers(ctx, actor, run.OrgID, rows)
	})
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.users, d.seq = before, seq
		return err
	}
	run.Status = directory.ImportCommitted
	return nil
}

func (d *fakeDirectory) FinishImportRun(_ context.Context, _ directory.Actor, run *directory.ImportRun, _ map[string]int) error {
	if run.Status != directory.ImportCommitted {
		run.Status = directory.ImportAbandoned
	}
	return nil
}

func (d *fakeDirectory) GetImportRun(_ context.Context, orgID, id string) (*directory.ImportRun, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.runs {
		if r.OrgID == orgID && r.ID == id {
			return r, nil
		}
	}
	return nil, directory.Errorf(directory.CodeNotFound, "import run not found")
}

func (d *fakeDirectory) byUserName(t *testing.T, name string) *directory.User {
	t.Helper()
	found, _ := d.FindUsersByUserNames(context.Background(), "", []string{name})
	if len(found) != 1 {
		t.Fatalf("user %s: found %d", name, len(found))
	}
	return found[0]
}

// fakeInviter records invitations and fails for the userNames in fail.
type fakeInviter struct {
	mu      sync.Mutex
	invited []string
	fail    map[string]bool
}

func (f *fakeInviter) Invite(_ context.Context, _ directory.Actor, u *directory.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail[u.UserName] {
		return directory.Errorf(directory.CodeInternal, "mail server down")
	}
	f.invited = append(f.invited, u.UserName)
	return nil
}

// OrgServices implements ServiceLister: the fake's organizations define
// no services.
func (d *fakeDirectory) OrgServices(_ context.Context, _ string) ([]*directory.OrgService, error) {
	return nil, nil
}
