package importer

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlite"
)

// serviceOver returns the directory service over a fresh SQLite store, with
// the test organization.
func serviceOver(t testing.TB) (*directory.Service, *directory.Org) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return serviceWithOrg(t, st)
}

// serviceWithOrg returns the service over a migrated store, with the test
// organization.
func serviceWithOrg(t testing.TB, st directory.Store) (*directory.Service, *directory.Org) {
	t.Helper()
	ctx := context.Background()
	svc := directory.NewService(st, time.Now)
	o := testOrg()
	o.ID = ""
	org, err := svc.CreateOrg(ctx, testAdmin, o)
	if err != nil {
		t.Fatal(err)
	}
	return svc, org
}

// generatedCSV is a CSV of n new users of the test organization.
func generatedCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("userName,givenName,familyName,role,department,badge,floor,remote,started\n")
	for i := range n {
		fmt.Fprintf(&b, "user%07d@acme.com,Given%d,Family%d,user,Dept %d,B%d,%d,%t,2024-01-%02d\n", i, i, i, i%20, i, i%10, i%2 == 0, i%28+1)
	}
	return b.Bytes()
}

func TestImportThroughTheService(t *testing.T) {
	ctx := context.Background()
	svc, org := serviceOver(t)
	im := New(svc, nil, Config{BatchSize: 100}, nil)

	f := spoolBytes(t, generatedCSV(250), "users.csv", DefaultLimits())
	sum, err := im.Commit(ctx, testAdmin, org.ID, f, CommitOptions{Mode: ModeCreate}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Committed || sum.Creates != 250 || !sum.OK() {
		t.Fatalf("summary %+v", sum)
	}
	audit, err := svc.ListAudit(ctx, org.ID, directory.AuditQuery{Action: "user.create", Limit: 1000})
	if err != nil || len(audit.Events) != 250 {
		t.Fatalf("%d create events, %v", len(audit.Events), err)
	}
	u, err := findUser(ctx, svc, "user0000007@acme.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != directory.StatusPending || u.Source != directory.SourceImport || u.Properties["floor"] != 7.0 || u.Properties["started"] != "2024-01-08" {
		t.Fatalf("imported user %+v", u)
	}

	t.Run("the same file again creates nothing and says why", func(t *testing.T) {
		sum, err := im.Commit(ctx, testAdmin, org.ID, f, CommitOptions{Mode: ModeCreate}, nil)
		if err != nil || sum.Committed || sum.ProblemCount != 250 {
			t.Fatalf("summary %+v, %v", sum, err)
		}
	})
	t.Run("an export imports back unchanged, and an edited one updates", func(t *testing.T) {
		var out bytes.Buffer
		if _, err := Export(ctx, svc, org, directory.UserQuery{}, XLSX, &out); err != nil {
			t.Fatal(err)
		}
		exported := spoolBytes(t, out.Bytes(), "export.xlsx", DefaultLimits())
		sum, err := im.Commit(ctx, testAdmin, org.ID, exported, CommitOptions{Mode: ModeUpdate}, nil)
		if err != nil || sum.Unchanged != 250 || sum.Updates != 0 {
			t.Fatalf("summary %+v, %v", sum, err)
		}
		edited := csvFile(t, []string{"userName", "title", "floor"}, []string{"user0000001@acme.com", "Boss", "9"})
		sum, err = im.Commit(ctx, testAdmin, org.ID, edited, CommitOptions{Mode: ModeUpdate}, nil)
		if err != nil || sum.Updates != 1 {
			t.Fatalf("summary %+v, %v", sum, err)
		}
		u, _ := findUser(ctx, svc, "user0000001@acme.com")
		if u.Title != "Boss" || u.Properties["floor"] != 9.0 || u.Properties["badge"] != "B1" {
			t.Fatalf("updated user %+v", u)
		}
	})
}
