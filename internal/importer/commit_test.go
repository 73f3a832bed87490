package importer

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roster/roster/internal/directory"
)

func TestCommit(t *testing.T) {
	org := testOrg()
	ctx := context.Background()

	t.Run("a file with one bad row writes nothing", func(t *testing.T) {
		d := newFakeDirectory(org)
		im := newTestImporter(d)
		f := csvFile(t, header,
			[]string{"ann@acme.com", "Ann", "", "", "B1", "", "", ""},
			[]string{"bob@acme.com", "Bob", "", "chief", "B2", "", "", ""},
		)
		sum, err := im.Commit(ctx, testAdmin, org.ID, f, CommitOptions{Mode: ModeCreate}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Committed || sum.ProblemCount != 1 || len(d.users) != 0 || len(d.batches) != 0 {
			t.Fatalf("summary %+v, %d users written", sum, len(d.users))
		}
	})

	t.Run("creates and updates are written in batches and reported row by row", func(t *testing.T) {
		d := newFakeDirectory(org)
		d.add(&directory.User{OrgID: org.ID, UserName: "old@acme.com", GivenName: "Olga", Properties: map[string]any{"badge": "B0"}})
		d.add(&directory.User{OrgID: org.ID, UserName: "same@acme.com", GivenName: "Sam", Properties: map[string]any{"badge": "B5"}})
		inv := &fakeInviter{fail: map[string]bool{"cy@acme.com": true}}
		im := New(d, inv, Config{BatchSize: 2}, nil)
		f := csvFile(t, []string{"userName", "givenName", "authMethod", "badge", "floor"},
			[]string{"ann@acme.com", "Ann", "", "B1", "2"},
			[]string{"old@acme.com", "Olga-Maria", "", "", ""},
			[]string{"sso@acme.com", "Sol", "sso", "B3", ""},
			[]string{"same@acme.com", "Sam", "", "B5", ""},
			[]string{"cy@acme.com", "Cy", "", "B4", ""},
		)
		var report bytes.Buffer
		rep, err := NewReport(&report, CSV)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := im.Commit(ctx, testAdmin, org.ID, f, CommitOptions{Mode: ModeUpsert, Invite: true}, rep)
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Close(); err != nil {
			t.Fatal(err)
		}
		want := Summary{Format: CSV, Mode: ModeUpsert, Rows: 5, Creates: 3, Updates: 1, Unchanged: 1, Invited: 1, InviteFailed: 1, Problems: []Problem{}, Committed: true}
		if diff := cmp.Diff(want, *sum); diff != "" {
			t.Fatalf("summary (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int{2, 2, 1}, d.batches); diff != "" {
			t.Fatalf("rows per batch (-want +got):\n%s", diff)
		}
		if got := d.byUserName(t, "old@acme.com"); got.GivenName != "Olga-Maria" || got.Properties["badge"] != "B0" {
			t.Fatalf("updated user %+v", got)
		}
		if got := d.byUserName(t, "ann@acme.com"); got.Source != directory.SourceImport || got.Properties["floor"] != 2.0 {
			t.Fatalf("created user %+v", got)
		}
		if diff := cmp.Diff([]string{"ann@acme.com"}, inv.invited); diff != "" {
			t.Fatalf("invited (-want +got):\n%s", diff)
		}
		lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(report.String(), "\ufeff")), "\r\n")
		wantLines := []string{
			"row,userName,result,userId,message",
			"2,ann@acme.com,created," + d.byUserName(t, "ann@acme.com").ID + ",invitation sent",
			"3,old@acme.com,updated," + d.byUserName(t, "old@acme.com").ID + ",",
			"4,sso@acme.com,created," + d.byUserName(t, "sso@acme.com").ID + ",",
			"5,same@acme.com,unchanged," + d.byUserName(t, "same@acme.com").ID + ",",
			"6,cy@acme.com,created," + d.byUserName(t, "cy@acme.com").ID + ",invitation not sent: mail server down",
		}
		if diff := cmp.Diff(wantLines, lines); diff != "" {
			t.Fatalf("report (-want +got):\n%s", diff)
		}
	})

	t.Run("invitations need an inviter", func(t *testing.T) {
		im := New(newFakeDirectory(org), nil, Config{}, nil)
		_, err := im.Commit(ctx, testAdmin, org.ID, csvFile(t, header), CommitOptions{Mode: ModeCreate, Invite: true}, nil)
		wantErr(t, err, directory.CodeInvalid, "not configured")
	})

	t.Run("a user created by someone else between check and write fails its row only", func(t *testing.T) {
		d := newFakeDirectory(org)
		racing := &racingDirectory{fakeDirectory: d, userName: "bob@acme.com"}
		im := New(racing, nil, Config{BatchSize: 10}, nil)
		f := csvFile(t, []string{"userName", "badge"}, []string{"ann@acme.com", "B1"}, []string{"bob@acme.com", "B2"})
		sum, err := im.Commit(ctx, testAdmin, org.ID, f, CommitOptions{Mode: ModeCreate}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Creates != 1 || sum.Failed != 1 || !sum.Committed {
			t.Fatalf("summary %+v", sum)
		}
		if diff := cmp.Diff([]string{"A3: userName is already taken"}, problemsAt(sum.Problems)); diff != "" {
			t.Fatalf("problems (-want +got):\n%s", diff)
		}
	})
}

func TestCommitReportsInFileOrder(t *testing.T) {
	org := testOrg()
	d := newFakeDirectory(org)
	im := New(d, nil, Config{BatchSize: 3}, nil)
	rows := [][]string{{"userName", "badge"}}
	for i := range 40 {
		rows = append(rows, []string{fmt.Sprintf("user%02d@acme.com", i), "B"})
	}
	var out bytes.Buffer
	rep, _ := NewReport(&out, CSV)
	sum, err := im.Commit(context.Background(), testAdmin, org.ID, csvFile(t, rows...), CommitOptions{Mode: ModeCreate}, rep)
	if err != nil || sum.Creates != 40 {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	_ = rep.Close()
	lines := strings.Split(strings.TrimSpace(out.String()), "\r\n")[1:]
	for i, l := range lines {
		if !strings.HasPrefix(l, fmt.Sprintf("%d,user%02d@acme.com,created,", i+2, i)) {
			t.Fatalf("report line %d: %q", i, l)
		}
	}
	if len(d.runs) != 1 || d.runs[0].Status != directory.ImportCommitted {
		t.Fatalf("runs %+v, want one committed", d.runs)
	}
}

func TestAFailedCommitAppliesNothing(t *testing.T) {
	org := testOrg()
	d := newFakeDirectory(org)
	d.failAfter = 2
	inv := &fakeInviter{}
	im := New(d, inv, Config{BatchSize: 2}, nil)
	rows := [][]string{{"userName", "badge"}}
	for i := range 10 {
		rows = append(rows, []string{fmt.Sprintf("user%02d@acme.com", i), "B"})
	}
	sum, err := im.Commit(context.Background(), testAdmin, org.ID, csvFile(t, rows...), CommitOptions{Mode: ModeCreate, Invite: true}, nil)
	if err == nil {
		t.Fatal("the failed batch was not reported")
	}
	if len(d.users) != 0 || sum.Creates != 0 || sum.Committed || sum.Rows != 10 {
		t.Fatalf("summary %+v with %d users written, want nothing applied", sum, len(d.users))
	}
	if len(inv.invited) != 0 {
		t.Fatalf("invitations sent for users never written: %v", inv.invited)
	}
	if len(d.runs) != 1 || d.runs[0].Status != directory.ImportAbandoned {
		t.Fatalf("runs %+v, want one failed", d.runs)
	}
}

// racingDirectory creates userName behind the importer's back after the
// first lookup, as a concurrent SCIM push would.
type racingDirectory struct {
	*fakeDirectory
	userName string
	done     bool
}

func (r *racingDirectory) FindUsersByUserNames(ctx context.Context, orgID string, names []string) ([]*directory.User, error) {
	out, err := r.fakeDirectory.FindUsersByUserNames(ctx, orgID, names)
	if !r.done {
		r.done = true
		r.add(&directory.User{OrgID: "org-1", UserName: r.userName})
	}
	return out, err
}
