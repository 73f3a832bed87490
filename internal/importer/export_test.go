package importer

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roster/roster/internal/directory"
	"github.com/xuri/excelize/v2"
)

func TestNeutralize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"+HYPERLINK(\"http://x\")", "'+HYPERLINK(\"http://x\")"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"\t=1", "'\t=1"},
		{"＝1+1", "'＝1+1"},
		{"'=1", "''=1"},
		{"+1 (555) 010-0100", "+1 (555) 010-0100"},
		{"-3.5", "-3.5"},
		{"Jane", "Jane"},
		{"O'Brien", "O'Brien"},
		{"'quoted'", "'quoted'"},
		{"", ""},
	}
	for _, c := range cases {
		if got := Neutralize(c.in); got != c.want {
			t.Errorf("Neutralize(%q) = %q, want %q", c.in, got, c.want)
		}
		if back := unneutralize(Neutralize(c.in)); back != c.in {
			t.Errorf("unneutralize(Neutralize(%q)) = %q", c.in, back)
		}
	}
}

func FuzzNeutralize(f *testing.F) {
	for _, s := range []string{"=1", "'=1", "+1 555", "-x", "@", "''@a", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Neutralize(s)
		if runsAsFormula(n) {
			t.Fatalf("Neutralize(%q) = %q still runs as a formula", s, n)
		}
		if back := unneutralize(n); back != s {
			t.Fatalf("round trip of %q gave %q", s, back)
		}
	})
}

func exportFixture(t *testing.T, n int) (*fakeDirectory, *directory.Org) {
	t.Helper()
	org := testOrg()
	d := newFakeDirectory(org)
	login := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	d.add(&directory.User{OrgID: org.ID, UserName: "evil@acme.com", GivenName: "=cmd|' /C calc'!A0", FamilyName: "@SUM(1)",
		Phone: "+1 555 0100", LastLoginAt: &login, Properties: map[string]any{"badge": "-2+HYPERLINK(1)", "floor": 3.5, "remote": true, "started": "2024-02-29"}})
	for i := range n - 1 {
		d.add(&directory.User{OrgID: org.ID, UserName: fmt.Sprintf("user%05d@acme.com", i), GivenName: "U", Properties: map[string]any{"badge": "B"}})
	}
	d.add(&directory.User{OrgID: "org-2", UserName: "other@globex.com"})
	return d, org
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	for _, format := range []Format{CSV, XLSX} {
		t.Run(string(format)+" holds every user, neutralized, and imports back unchanged", func(t *testing.T) {
			d, org := exportFixture(t, 1001) // two pages
			var out bytes.Buffer
			n, err := Export(ctx, d, org, directory.UserQuery{}, format, &out)
			if err != nil || n != 1001 {
				t.Fatalf("exported %d: %v", n, err)
			}
			f := spoolBytes(t, out.Bytes(), "export."+string(format), DefaultLimits())
			if f.Format() != format {
				t.Fatalf("format %s", f.Format())
			}
			rows, err := readAll(t, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1002 {
				t.Fatalf("%d rows", len(rows))
			}
			evil := d.byUserName(t, "evil@acme.com")
			want := []string{"evil@acme.com", "evil@acme.com", "'=cmd|' /C calc'!A0", "'@SUM(1)", "", "user", "local", "", "+1 555 0100",
				"", "", "", "", "", "", "", "", "'-2+HYPERLINK(1)", "3.5", "true", "2024-02-29",
				evil.ID, "active", "", "local", "", "", "2025-03-04T05:06:07Z"}
			if diff := cmp.Diff(exportHeader(org), rows[0]); diff != "" {
				t.Fatalf("header (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, rows[1]); diff != "" {
				t.Fatalf("row (-want +got):\n%s", diff)
			}
			sum, err := newTestImporter(d).Preview(ctx, org.ID, f, ModeUpdate)
			if err != nil {
				t.Fatal(err)
			}
			if !sum.OK() || sum.Unchanged != 1001 {
				t.Fatalf("re-import: %+v", sum)
			}
		})
	}
	t.Run("the CSV starts with a byte order mark for Excel", func(t *testing.T) {
		d, org := exportFixture(t, 1)
		var out bytes.Buffer
		if _, err := Export(ctx, d, org, directory.UserQuery{}, CSV, &out); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(out.Bytes(), utf8BOM) {
			t.Fatalf("no BOM: %q", out.Bytes()[:10])
		}
	})
}

func TestTemplate(t *testing.T) {
	org := testOrg()
	wantHeader := []string{"userName", "email", "givenName", "familyName", "displayName", "role", "authMethod", "title", "phone",
		"externalId", "employeeNumber", "costCenter", "organization", "division", "department", "officeLocation", "services", "badge", "floor", "remote", "started"}
	for _, format := range []Format{CSV, XLSX} {
		t.Run(string(format)+" has the organization's columns and an example row the importer refuses", func(t *testing.T) {
			var out bytes.Buffer
			if err := WriteTemplate(&out, format, org); err != nil {
				t.Fatal(err)
			}
			f := spoolBytes(t, out.Bytes(), "template."+string(format), DefaultLimits())
			rows, err := readAll(t, f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantHeader, rows[0]); diff != "" {
				t.Fatalf("header (-want +got):\n%s", diff)
			}
			if len(rows) != 2 || rows[1][0] != exampleUserName || rows[1][len(rows[1])-1] != "2024-01-31" {
				t.Fatalf("rows %q", rows)
			}
			sum, err := newTestImporter(newFakeDirectory(org)).Preview(context.Background(), org.ID, f, ModeCreate)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"A2: this is the template's example row; delete it"}, problemsAt(sum.Problems)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("xlsx offers drop-downs and explains each column", func(t *testing.T) {
		var out bytes.Buffer
		if err := WriteTemplate(&out, XLSX, org); err != nil {
			t.Fatal(err)
		}
		book, err := excelize.OpenReader(&out)
		if err != nil {
			t.Fatal(err)
		}
		defer book.Close()
		if diff := cmp.Diff([]string{"Users", "Instructions"}, book.GetSheetList()); diff != "" {
			t.Fatalf("sheets (-want +got):\n%s", diff)
		}
		dvs, err := book.GetDataValidations("Users")
		if err != nil {
			t.Fatal(err)
		}
		var lists []string
		for _, dv := range dvs {
			lists = append(lists, strings.SplitN(dv.Sqref, ":", 2)[0]+"="+dv.Formula1)
		}
		want := []string{`F2="user,org_admin,org_viewer,billing_admin"`, `G2="local,sso"`, `T2="true,false"`}
		if diff := cmp.Diff(want, lists); diff != "" {
			t.Fatalf("drop-downs (-want +got):\n%s", diff)
		}
		help, _ := book.GetCellValue("Instructions", "B19")
		if help != `Custom property "Badge number": text. Required for new users.` {
			t.Fatalf("help for badge: %q", help)
		}
		if help, _ := book.GetCellValue("Instructions", "B18"); !strings.HasPrefix(help, "Keys of the services") {
			t.Fatalf("help for services: %q", help)
		}
	})
}

// failingLister fails after its first page.
type failingLister struct{ *fakeDirectory }

func (f failingLister) ListUsers(ctx context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error) {
	if q.After != "" {
		return nil, directory.Internal(fmt.Errorf("connection reset"))
	}
	return f.fakeDirectory.ListUsers(ctx, orgID, q)
}

func TestAFailedExportIsNotAValidWorkbook(t *testing.T) {
	d, org := exportFixture(t, 1001)
	var out bytes.Buffer
	if _, err := Export(context.Background(), failingLister{d}, org, directory.UserQuery{}, XLSX, &out); err == nil {
		t.Fatal("the failure was not reported")
	}
	if _, err := excelize.OpenReader(bytes.NewReader(out.Bytes())); err == nil {
		t.Fatal("a cut-short export opens as a workbook")
	}
}

func TestExportQuery(t *testing.T) {
	q, err := ExportQuery("active, deleted", "user", "ldap", "smith")
	if err != nil {
		t.Fatal(err)
	}
	and, ok := q.Filter.(directory.And)
	if !ok || len(and) != 4 || !q.IncludeDeleted {
		t.Fatalf("query %+v", q)
	}
	for _, bad := range [][4]string{{"gone", "", "", ""}, {"", "boss", "", ""}, {"", "", "CSV file", ""}, {"", "", "", strings.Repeat("x", 201)}} {
		if _, err := ExportQuery(bad[0], bad[1], bad[2], bad[3]); directory.ErrorCode(err) != directory.CodeInvalid {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
