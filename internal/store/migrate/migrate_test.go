package migrate

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestLoadOrdersStepsByVersion(t *testing.T) {
	fsys := fstest.MapFS{
		"0002_groups.sql": {Data: []byte("CREATE TABLE g (id int);")},
		"0001_core.sql":   {Data: []byte("CREATE TABLE c (id int);")},
		"0010_later.sql":  {Data: []byte("CREATE TABLE l (id int);")},
	}
	got, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []Migration{
		{Version: 1, Name: "0001_core", SQL: "CREATE TABLE c (id int);"},
		{Version: 2, Name: "0002_groups", SQL: "CREATE TABLE g (id int);"},
		{Version: 10, Name: "0010_later", SQL: "CREATE TABLE l (id int);"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"a misnamed file":        {"1_core.sql": {Data: []byte("SELECT 1;")}},
		"a duplicate version":    {"0001_a.sql": {Data: []byte("SELECT 1;")}, "0001_b.sql": {Data: []byte("SELECT 1;")}},
		"an empty step":          {"0001_a.sql": {Data: []byte("  \n")}},
		"version zero":           {"0000_a.sql": {Data: []byte("SELECT 1;")}},
		"a file of another kind": {"README.md": {Data: []byte("hi")}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(fsys); err == nil {
				t.Fatal("Load succeeded, want an error")
			}
		})
	}
}

func TestPending(t *testing.T) {
	all := []Migration{{Version: 1, Name: "0001_core"}, {Version: 2, Name: "0002_groups"}, {Version: 3, Name: "0003_tokens"}}

	t.Run("returns the steps not yet applied, in order", func(t *testing.T) {
		got, err := Pending(all, map[int]string{2: "0002_groups"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]Migration{all[0], all[2]}, got); diff != "" {
			t.Errorf("Pending (-want +got):\n%s", diff)
		}
	})
	t.Run("ignores steps a newer binary applied", func(t *testing.T) {
		got, err := Pending(all, map[int]string{1: "0001_core", 2: "0002_groups", 3: "0003_tokens", 4: "0004_new"})
		if err != nil || len(got) != 0 {
			t.Fatalf("Pending = %v, %v; want nothing", got, err)
		}
	})
	t.Run("refuses a history that differs from the files", func(t *testing.T) {
		_, err := Pending(all, map[int]string{1: "0001_other"})
		if err == nil || !strings.Contains(err.Error(), "0001_other") {
			t.Fatalf("Pending error = %v, want one naming 0001_other", err)
		}
	})
}
