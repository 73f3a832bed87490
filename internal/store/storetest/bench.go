package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/roster/roster/internal/directory"
)

// benchUsers is how many users the read benchmarks run over.
const benchUsers = 2000

// RunBenchmarks measures the operations clients issue most: creating a
// user, reading one by id and by userName, and listing a filtered page.
// Each benchmark gets its own store.
func RunBenchmarks(b *testing.B, newStore func(b *testing.B) directory.Store) {
	b.Run("CreateUser", func(b *testing.B) {
		s, org := benchSetup(b, newStore)
		ctx := context.Background()
		for i := 0; b.Loop(); i++ {
			if err := s.Users().CreateUser(ctx, benchUser(org, fmt.Sprintf("new%07d@bench.example", i))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetUser", func(b *testing.B) {
		s, org, users := benchSetupUsers(b, newStore)
		ctx := context.Background()
		for i := 0; b.Loop(); i++ {
			if _, err := s.Users().GetUser(ctx, org.ID, users[i%len(users)].ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FindUserByUserName", func(b *testing.B) {
		s, _, users := benchSetupUsers(b, newStore)
		ctx := context.Background()
		for i := 0; b.Loop(); i++ {
			if _, err := s.Users().FindUserByUserName(ctx, users[i%len(users)].OrgID, users[i%len(users)].UserName); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The transaction of a SCIM PATCH or PUT, from 16 clients at once as
	// an identity provider's pushes arrive: read and lock the user (or,
	// with a copy from an earlier read, assume it), write it, append the
	// audit event. Its rate is the most the store and database allow the
	// HTTP API.
	b.Run("UpdateUserConcurrent", func(b *testing.B) { benchUpdates(b, newStore, false) })
	b.Run("UpdateAssumedUserConcurrent", func(b *testing.B) { benchUpdates(b, newStore, true) })
	b.Run("ListUsers100Filtered", func(b *testing.B) {
		s, org, _ := benchSetupUsers(b, newStore)
		ctx := context.Background()
		q := directory.UserQuery{
			Filter: directory.And{
				directory.Eq(directory.UserActive, true),
				directory.Has{Attr: directory.UserEmails, Where: directory.Eq(directory.EmailType, "work")},
			},
			Sort:  directory.Sort{Attr: directory.UserUserName},
			Limit: 100,
		}
		for b.Loop() {
			page, err := s.Users().ListUsers(ctx, org.ID, q)
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Users) != 100 {
				b.Fatalf("a page of %d users", len(page.Users))
			}
		}
	})
}

func benchSetup(b *testing.B, newStore func(b *testing.B) directory.Store) (directory.Store, *directory.Org) {
	b.Helper()
	s := newStore(b)
	now := time.Now()
	org := &directory.Org{
		ID: uuid.NewString(), Slug: "bench", Name: "Bench", Settings: directory.DefaultOrgSettings(),
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if err := s.Orgs().CreateOrg(context.Background(), org); err != nil {
		b.Fatal(err)
	}
	return s, org
}

func benchSetupUsers(b *testing.B, newStore func(b *testing.B) directory.Store) (directory.Store, *directory.Org, []*directory.User) {
	b.Helper()
	s, org := benchSetup(b, newStore)
	users := make([]*directory.User, benchUsers)
	// One transaction: setting up is not what is measured.
	err := s.InTx(context.Background(), func(r directory.Repos) error {
		for i := range users {
			users[i] = benchUser(org, fmt.Sprintf("user%05d@bench.example", i))
			if i%3 == 0 {
				users[i].Status = directory.StatusSuspended
			}
			if err := r.Users().CreateUser(context.Background(), users[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// A store that keeps planner statistics learns about the bulk load,
	// as it would from a real one in time.
	if a, ok := s.(interface{ Analyze(context.Context) error }); ok {
		if err := a.Analyze(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	return s, org, users
}

// benchUser is a typical SCIM-provisioned user.
func benchUser(org *directory.Org, userName string) *directory.User {
	now := time.Now()
	id, _ := uuid.NewV7()
	return &directory.User{
		ID: id.String(), OrgID: org.ID, UserName: userName, Email: userName,
		ExternalID: "ext-" + userName, Source: directory.SourceSCIM, SourceRef: "ref-" + userName,
		GivenName: "Given", FamilyName: "Family", DisplayName: "Given Family", Title: "Engineer",
		Emails: []directory.Email{{Value: userName, Type: "work", Primary: true}},
		Role:   directory.RoleUser, AuthMethod: directory.AuthSSO, Status: directory.StatusActive,
		Enterprise: directory.Enterprise{EmployeeNumber: "1", Department: "R&D"},
		CreatedAt:  now, UpdatedAt: now, Version: 1,
	}
}

// benchUpdates runs update transactions from 16 clients, each on users of
// its own, reporting transactions per second. With assume, a client
// updates from its copy of the user (UserStore.AssumeUser) instead of
// reading it.
func benchUpdates(b *testing.B, newStore func(b *testing.B) directory.Store, assume bool) {
	s, org, users := benchSetupUsers(b, newStore)
	ctx := context.Background()
	const clients = 16
	var nextClient atomic.Int64
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		client := int(nextClient.Add(1) - 1)
		copies := map[string]*directory.User{}
		for i := client; pb.Next(); i += clients {
			known := copies[users[i%len(users)].ID]
			if known == nil {
				known = users[i%len(users)]
			}
			var next *directory.User
			err := s.InTx(ctx, func(r directory.Repos) error {
				cur := known
				if assume {
					r.Users().AssumeUser(known)
				} else {
					var err error
					if cur, err = r.Users().GetUserForUpdate(ctx, org.ID, known.ID); err != nil {
						return err
					}
				}
				next = cur.Clone()
				next.FamilyName = fmt.Sprintf("Family %d", i)
				if err := r.Users().UpdateUser(ctx, next, time.Now()); err != nil {
					return err
				}
				return r.Audit().AppendAudit(ctx, &directory.AuditEvent{
					OrgID: org.ID, Time: time.Now(), ActorKind: directory.ActorToken, ActorID: "bench",
					Action: "user.update", TargetKind: "user", TargetID: known.ID,
					Changes: map[string]directory.Change{"name.familyName": {Before: cur.FamilyName, After: next.FamilyName}},
				})
			})
			if err != nil {
				b.Error(err)
				return
			}
			copies[next.ID] = next
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}
