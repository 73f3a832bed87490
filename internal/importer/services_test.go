package importer

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// The services column gives new users their services and sets those of
// existing ones; an unknown key is a problem of its cell, and a full
// service refuses the whole import.
func TestImportServices(t *testing.T) {
	ctx := context.Background()
	svc, org := serviceOver(t)
	for _, sv := range []*directory.OrgService{{Key: "crm", SeatLimit: ptr(2)}, {Key: "wiki"}} {
		if _, err := svc.CreateService(ctx, testAdmin, org.ID, sv); err != nil {
			t.Fatal(err)
		}
	}
	im := New(svc, nil, Config{BatchSize: 2}, nil)
	commit := func(csv string, mode Mode) (*Summary, error) {
		t.Helper()
		f := spoolBytes(t, []byte(csv), "users.csv", DefaultLimits())
		return im.Commit(ctx, testAdmin, org.ID, f, CommitOptions{Mode: mode}, nil)
	}

	var tmpl bytes.Buffer
	if err := WriteTemplate(&tmpl, CSV, org); err != nil {
		t.Fatal(err)
	}
	if header, _, _ := strings.Cut(tmpl.String(), "\n"); !strings.Contains(header, ",services") {
		t.Errorf("template header %q has no services column", header)
	}

	sum, err := commit("userName,role,services,badge,started\na@acme.com,user,nope; crm,B1,2024-01-01\n", ModeCreate)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Committed || sum.OK() || len(sum.Problems) != 1 || sum.Problems[0].Column != "services" || !strings.Contains(sum.Problems[0].Message, `"nope"`) {
		t.Fatalf("unknown service key: %+v", sum)
	}

	// Three crm seats asked of two, across batches: nothing is created.
	sum, err = commit("userName,role,services,badge,started\n"+
		"a@acme.com,user,crm;wiki,B1,2024-01-01\nb@acme.com,user,CRM,B2,2024-01-01\nc@acme.com,user,crm,B3,2024-01-01\n", ModeCreate)
	if err == nil || !directory.IsCode(err, directory.CodeConflict) || !strings.Contains(directory.ErrorMessage(err), `"crm"`) {
		t.Fatalf("an import past crm's limit: %+v, %v; want a conflict naming crm", sum, err)
	}
	if found, _ := svc.FindUsersByUserNames(ctx, org.ID, []string{"a@acme.com", "b@acme.com", "c@acme.com"}); len(found) != 0 {
		t.Fatalf("a refused import created %d users", len(found))
	}

	sum, err = commit("userName,role,services,badge,started\na@acme.com,user,crm;wiki,B1,2024-01-01\nb@acme.com,user,wiki,B2,2024-01-01\n", ModeCreate)
	if err != nil || !sum.Committed || sum.Creates != 2 {
		t.Fatalf("import with services: %+v, %v", sum, err)
	}
	a, err := findUser(ctx, svc, "a@acme.com")
	if err != nil {
		t.Fatal(err)
	}
	if !directory.HoldsService(a.Entitlements, "crm") || !directory.HoldsService(a.Entitlements, "wiki") {
		t.Errorf("a's entitlements %v", a.Entitlements)
	}

	// An update replaces the services; a blank cell keeps them.
	sum, err = commit("userName,services\na@acme.com,wiki\nb@acme.com,\n", ModeUpdate)
	if err != nil || !sum.Committed || sum.Updates != 1 || sum.Unchanged != 1 {
		t.Fatalf("update of services: %+v, %v", sum, err)
	}
	a, _ = findUser(ctx, svc, "a@acme.com")
	b, _ := findUser(ctx, svc, "b@acme.com")
	if directory.HoldsService(a.Entitlements, "crm") || !directory.HoldsService(a.Entitlements, "wiki") || !directory.HoldsService(b.Entitlements, "wiki") {
		t.Errorf("after the update: a %v, b %v", a.Entitlements, b.Entitlements)
	}

	// The export writes the services back.
	var out bytes.Buffer
	if _, err := Export(ctx, svc, org, directory.UserQuery{}, CSV, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "a@acme.com") || !strings.Contains(out.String(), ",wiki,") {
		t.Errorf("export:\n%s", out.String())
	}
}

func ptr[T any](v T) *T { return &v }
