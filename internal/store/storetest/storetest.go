// Package storetest is the conformance suite every directory.Store backend
// passes. A backend's test file builds a fresh, migrated, empty store and
// calls RunConformance and RunConcurrency with it, and RunBenchmarks from a
// benchmark.
//
// The suite describes the behaviour the service relies on, beyond what the
// interfaces' types say: scoping by organization, case-insensitive
// uniqueness, optimistic versions, filters, sorting and paging.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/roster/roster/internal/directory"
)

// NewStore returns a fresh, migrated, empty store, closed when the test
// ends. Subtests call it in parallel.
type NewStore func(t *testing.T) directory.Store

// RunConformance runs the conformance suite: one parallel subtest per
// behaviour, each on its own store.
func RunConformance(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		run  func(*testing.T, *fixture)
	}{
		{"organizations round-trip and can be found by slug and domain", testOrgRoundTrip},
		{"organization slugs and domains are unique", testOrgUniqueness},
		{"organization updates are versioned", testOrgUpdate},
		{"users round-trip every field", testUserRoundTrip},
		{"every text attribute of the catalogue is stored and queryable", testCatalogueAttributes},
		{"users are scoped by organization", testUserScoping},
		{"userName is unique within its organization regardless of case", testUserNameUnique},
		{"userNames are per organization and a deleted user frees its own", testUserNamesPerOrganization},
		{"the login email is unique within the organization", testLoginEmailUnique},
		{"a verified domain belongs to one organization", testDomainVerification},
		{"users can be found by userName and source reference", testUserLookups},
		{"user updates write every field and are versioned", testUserUpdate},
		{"updates of a user read for update", testLockedUpdates},
		{"roles and entitlements are stored and queryable", testUserGrants},
		{"updates of a user assumed as read", testAssumedUpdates},
		{"soft-deleted users are hidden from listings unless asked for", testUserSoftDelete},
		{"users are counted by status and source", testCountUsers},
		{"user filters", testUserFilters},
		{"bad user filters are refused", testBadUserFilters},
		{"the users search finds substrings, through its index", testUserSearch},
		{"users sort by any sortable attribute", testUserSort},
		{"users page by offset and by cursor", testUserPaging},
		{"groups round-trip and are scoped by organization", testGroupRoundTrip},
		{"group updates and deletes", testGroupUpdateDelete},
		{"group members are added and removed by the change", testGroupMembers},
		{"a group touched in a transaction has its new version after the commit", testTouchInTransaction},
		{"the groups of users are touched together", testTouchGroupsOfUsers},
		{"changes noted of a group's members fold into its version", testGroupChangesFold},
		{"concurrent changes of one group each move its version once", testGroupChangesConcurrent},
		{"group member listings page in user id order", testListMembers},
		{"group filters, sorting and paging", testGroupFilters},
		{"tokens are created, listed, touched and revoked", testTokens},
		{"audit events are listed newest first with filters", testAudit},
		{"audit listings page by cursor", testAuditPaging},
		{"transactions commit and roll back", testTransactions},
		{"bulk writes, the inactivity pass, job ticks and import runs", testJobs},
		{"ping answers", testPing},
		{"sessions, links, second factors and single sign-on are stored", testAuth},
		{"SMS phones and codes: scoped, voided, spent once, counted", testSMS},
		{"passkeys are stored per user, unique by credential, counted once per use", testPasskeys},
		{"passkey ceremonies are bound, short-lived and single use", testPasskeyCeremonies},
		{"directory sync: connectors, leases, runs, links and batches", testSync},
		{"services round-trip, are scoped by organization and count their seats", testServices},
		{"a full service refuses assignments from every write path", testServiceSeats},
		{"members of groups mapped to a service hold it", testServiceGroups},
		{"seats kept on write equal a recount through every path that gives or takes one", testSeatsKept},
		{"sealed secrets are listed and replaced for a key rotation", testSealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newFixture(t, newStore(t)))
		})
	}
}

// fixture builds the objects a test needs.
type fixture struct {
	t   *testing.T
	s   directory.Store
	ctx context.Context
	// base is a time with nanoseconds, which the store must round to
	// microseconds, in a zone other than UTC.
	base time.Time
	seq  atomic.Int64
}

func newFixture(t *testing.T, s directory.Store) *fixture {
	return &fixture{
		t:    t,
		s:    s,
		ctx:  t.Context(),
		base: time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600)),
	}
}

// at returns base plus d.
func (f *fixture) at(d time.Duration) time.Time { return f.base.Add(d) }

// micro is what a store keeps of t.
func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ptr[T any](v T) *T { return &v }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// org creates an organization with a unique slug derived from name.
func (f *fixture) org(name string) *directory.Org {
	f.t.Helper()
	n := f.seq.Add(1)
	o := &directory.Org{
		ID:   newID(),
		Slug: fmt.Sprintf("%s-%d", name, n),
		Name: name,
		Domains: []directory.Domain{{Name: fmt.Sprintf("%s-%d.example", name, n), Primary: true, Token: fmt.Sprintf("token-%d", n),
			Verified: true, VerifiedBy: directory.VerifiedByOperator, VerifiedAt: ptr(micro(f.base))}},
		Settings:  directory.DefaultOrgSettings(),
		CreatedAt: f.base,
		UpdatedAt: f.base,
		Version:   1,
	}
	if err := f.s.Orgs().CreateOrg(f.ctx, o); err != nil {
		f.t.Fatalf("CreateOrg(%s): %v", o.Slug, err)
	}
	return o
}

// newUser returns an active local user of org, not yet stored.
func (f *fixture) newUser(org *directory.Org, userName string) *directory.User {
	return &directory.User{
		ID:         newID(),
		OrgID:      org.ID,
		UserName:   userName,
		Email:      userName,
		Source:     directory.SourceLocal,
		Role:       directory.RoleUser,
		AuthMethod: directory.AuthLocal,
		Status:     directory.StatusActive,
		CreatedAt:  f.base,
		UpdatedAt:  f.base,
		Version:    1,
	}
}

// user creates a user of org, changed by the edits first.
func (f *fixture) user(org *directory.Org, userName string, edits ...func(*directory.User)) *directory.User {
	f.t.Helper()
	u := f.newUser(org, userName)
	for _, e := range edits {
		e(u)
	}
	if err := f.s.Users().CreateUser(f.ctx, u); err != nil {
		f.t.Fatalf("CreateUser(%s): %v", userName, err)
	}
	return u
}

// group creates a group of org.
func (f *fixture) group(org *directory.Org, name string, edits ...func(*directory.Group)) *directory.Group {
	f.t.Helper()
	g := &directory.Group{
		ID:          newID(),
		OrgID:       org.ID,
		DisplayName: name,
		Source:      directory.SourceLocal,
		CreatedAt:   f.base,
		UpdatedAt:   f.base,
		Version:     1,
	}
	for _, e := range edits {
		e(g)
	}
	if err := f.s.Groups().CreateGroup(f.ctx, g); err != nil {
		f.t.Fatalf("CreateGroup(%s): %v", name, err)
	}
	return g
}

// addMembers adds users to g.
func (f *fixture) addMembers(g *directory.Group, users ...*directory.User) {
	f.t.Helper()
	if _, err := f.s.Groups().AddMembers(f.ctx, g.OrgID, g.ID, ids(users)); err != nil {
		f.t.Fatalf("AddMembers(%s): %v", g.DisplayName, err)
	}
}

func ids(users []*directory.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// equate treats nil and empty slices and maps alike: a store need not
// remember which of the two it was given.
var equate = cmpopts.EquateEmpty()

// wantCode fails t unless err carries code (and field, if not "").
func wantCode(t *testing.T, what string, err error, code directory.Code, field string) {
	t.Helper()
	if !directory.IsCode(err, code) {
		t.Errorf("%s: error = %v, want code %s", what, err, code)
		return
	}
	var e *directory.Error
	if field != "" && errors.As(err, &e) && e.Field != field {
		t.Errorf("%s: error field = %q, want %q (%v)", what, e.Field, field, err)
	}
}

// wantStale fails t unless err is directory.ErrStale.
func wantStale(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, directory.ErrStale) {
		t.Errorf("%s: error = %v, want ErrStale", what, err)
	}
}

// must fails t on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// diff fails t if got differs from want.
func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, append(opts, equate)...); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func testPing(t *testing.T, f *fixture) {
	must(t, "Ping", f.s.Ping(f.ctx))
}
