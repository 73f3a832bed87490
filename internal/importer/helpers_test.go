package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

var testAdmin = directory.Actor{Kind: directory.ActorAdmin, ID: "admin-1", Name: "Ada"}

func testOrg() *directory.Org {
	return &directory.Org{
		ID: "org-1", Slug: "acme", Name: "Acme",
		Domains:  []directory.Domain{{Name: "acme.com", Primary: true}},
		Settings: directory.DefaultOrgSettings(),
		UserProperties: []directory.PropertyDef{
			{Key: "badge", Label: "Badge number", Type: directory.PropertyString, Required: true},
			{Key: "floor", Label: "Floor", Type: directory.PropertyNumber},
			{Key: "remote", Label: "Remote worker", Type: directory.PropertyBoolean},
			{Key: "started", Label: "Start date", Type: directory.PropertyDate},
		},
	}
}

// csvFile spools rows as a CSV file.
func csvFile(t *testing.T, rows ...[]string) *File {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return spoolBytes(t, b.Bytes(), "users.csv", DefaultLimits())
}

func spoolBytes(t *testing.T, b []byte, name string, lim Limits) *File {
	t.Helper()
	f, err := Spool(bytes.NewReader(b), name, lim, t.TempDir())
	if err != nil {
		t.Fatalf("spool: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// readAll reads every row of f, header included.
func readAll(t *testing.T, f *File) ([][]string, error) {
	t.Helper()
	rr, err := f.open()
	if err != nil {
		return nil, err
	}
	defer rr.close()
	var out [][]string
	for {
		_, cells, err := rr.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, append([]string(nil), cells...))
	}
}

// wantErr checks that err is a directory error of code whose message
// contains substr.
func wantErr(t *testing.T, err error, code directory.Code, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s containing %q", code, substr)
	}
	if directory.ErrorCode(err) != code || !strings.Contains(directory.ErrorMessage(err), substr) {
		t.Fatalf("got %v, want %s containing %q", err, code, substr)
	}
}

var header = []string{"userName", "givenName", "familyName", "role", "badge", "floor", "remote", "started"}

func filepathGlob(dir string) ([]string, error) { return filepath.Glob(filepath.Join(dir, "*")) }
