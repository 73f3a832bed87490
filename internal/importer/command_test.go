package importer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

var operator = directory.Actor{Kind: directory.ActorOperator, Name: "cli"}

func TestRunCommand(t *testing.T) {
	ctx := context.Background()
	svc, _ := serviceOver(t)
	im := New(svc, nil, Config{}, nil)
	dir := t.TempDir()
	good := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(good, generatedCSV(3), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("userName,email,badge\njdoe,not-an-email,B1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := RunCommand(ctx, im, operator, args, &out)
		return out.String(), err
	}

	t.Run("a dry run says what would change and writes nothing", func(t *testing.T) {
		out, err := run("--org", "acme", "--file", good, "--dry-run")
		if err != nil || out != "users.csv: 3 rows: 3 to create, 0 to update, 0 unchanged (dry run: nothing was written)\n" {
			t.Fatalf("output %q, %v", out, err)
		}
		if _, err := findUser(ctx, svc, "user0000000@acme.com"); !directory.IsCode(err, directory.CodeNotFound) {
			t.Fatalf("the dry run wrote: %v", err)
		}
	})
	t.Run("a file with problems prints them and fails", func(t *testing.T) {
		out, err := run("--org", "acme", "--file", bad)
		if err == nil || !strings.Contains(err.Error(), "1 problems; nothing was written") || out != `row 2, B2 (email): "not-an-email" is not an email address`+"\n" {
			t.Fatalf("output %q, %v", out, err)
		}
	})
	t.Run("an import writes the users and its report", func(t *testing.T) {
		report := filepath.Join(dir, "report.xlsx")
		out, err := run("--org", "acme", "--file", good, "--report", report)
		if err != nil || !strings.HasPrefix(out, "imported users.csv into acme: 3 created, 0 updated, 0 unchanged, 0 failed\n") {
			t.Fatalf("output %q, %v", out, err)
		}
		f, err := OpenPath(report, DefaultLimits(), "")
		if err != nil {
			t.Fatal(err)
		}
		rows, err := readAll(t, f)
		if err != nil || len(rows) != 4 || rows[1][2] != "created" {
			t.Fatalf("report %q, %v", rows, err)
		}
	})
	t.Run("misuse is refused", func(t *testing.T) {
		for _, args := range [][]string{{"--file", good}, {"--org", "nope", "--file", good}, {"--org", "acme", "--file", good, "--mode", "merge"}, {"--org", "acme", "--file", filepath.Join(dir, "missing.csv")}} {
			if _, err := run(args...); err == nil {
				t.Errorf("%q was accepted", args)
			}
		}
	})
}
