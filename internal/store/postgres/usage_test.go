package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/postgres/pgtest"
)

func usageTestUser(org *directory.Org, i int, now time.Time) *directory.User {
	name := fmt.Sprintf("u%02d@acme.example", i)
	return &directory.User{ID: directory.NewID(), OrgID: org.ID, UserName: name, Email: name,
		Role: directory.RoleUser, AuthMethod: directory.AuthSSO, Status: directory.StatusActive,
		Source: directory.SourceSCIM, CreatedAt: now, UpdatedAt: now, Version: 1}
}

// createAndRead creates u and reads it back: a transaction may hold the
// insert for its next statement, and the read sends it.
func createAndRead(ctx context.Context, r directory.Repos, u *directory.User) error {
	if err := r.Users().CreateUser(ctx, u); err != nil {
		return err
	}
	_, err := r.Users().GetUser(ctx, u.OrgID, u.ID)
	return err
}

// Sixteen transactions each create a user of one organization and wait,
// uncommitted, until all sixteen have: were the usage counts one row per
// organization, the second create would wait for the first to commit and
// the sixteen would never all get there. Then a snapshot taken while one
// more create is uncommitted counts the sixteen, does not wait for it,
// and leaves its delta to the next snapshot.
func TestUsageDeltasDoNotSerialiseCreates(t *testing.T) {
	s := open(t, withPool(pgtest.NewDatabaseURL(t), 24))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	org := createAcme(ctx, t, s, now)
	day := now.UTC().Format(directory.UsageDayLayout)
	if _, err := s.Jobs().SnapshotUsage(ctx, day, true); err != nil {
		t.Fatal(err)
	}

	const writers = 16
	var created sync.WaitGroup
	created.Add(writers)
	all := make(chan struct{})
	go func() { created.Wait(); close(all) }()
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			errs <- s.InTx(ctx, func(r directory.Repos) error {
				if err := createAndRead(ctx, r, usageTestUser(org, i, now)); err != nil {
					created.Done()
					return err
				}
				created.Done()
				select {
				case <-all:
					return nil
				case <-time.After(10 * time.Second):
					return fmt.Errorf("writer %d: the other creates never got past their insert", i)
				}
			})
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	held := make(chan struct{})
	release := make(chan struct{})
	late := make(chan error, 1)
	go func() {
		late <- s.InTx(ctx, func(r directory.Repos) error {
			if err := createAndRead(ctx, r, usageTestUser(org, writers, now)); err != nil {
				close(held)
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	count := func(what string) int {
		t.Helper()
		got, err := s.Jobs().SnapshotUsage(ctx, day, false)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got.Recounted {
			t.Fatalf("%s recounted", what)
		}
		rows, err := s.Jobs().UsageSeries(ctx, org.ID, day, day)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("%s: %+v, want one count", what, rows)
		}
		return rows[0].Users
	}
	if n := count("the snapshot during a create"); n != writers {
		t.Errorf("the snapshot during a create counts %d users, want %d", n, writers)
	}
	close(release)
	if err := <-late; err != nil {
		t.Fatal(err)
	}
	if n := count("the next snapshot"); n != writers+1 {
		t.Errorf("the next snapshot counts %d users, want %d", n, writers+1)
	}
}

// withPool sets the pool size of a database URL: a test holding more
// transactions open at once than the default pool allows.
func withPool(url string, conns int) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "pool_max_conns=" + strconv.Itoa(conns)
}

// createAcme creates the organization the concurrency tests write into.
func createAcme(ctx context.Context, t *testing.T, s directory.Store, now time.Time) *directory.Org {
	t.Helper()
	org := &directory.Org{ID: directory.NewID(), Slug: "acme", Name: "Acme", Settings: directory.DefaultOrgSettings(),
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.Orgs().CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	return org
}
