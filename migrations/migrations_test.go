package migrations

import (
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/store/migrate"
)

// TestDialectsHaveTheSameSteps keeps the two dialects in step: every version
// exists in both, under the same name, so that a feature's schema change
// cannot land in one store only.
func TestDialectsHaveTheSameSteps(t *testing.T) {
	names := func(fsys fs.FS) []string {
		t.Helper()
		steps, err := migrate.Load(fsys)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range steps {
			out = append(out, s.Name)
		}
		return out
	}
	pg, lite := names(Postgres()), names(SQLite())
	if len(pg) == 0 {
		t.Fatal("no PostgreSQL migrations embedded")
	}
	if diff := cmp.Diff(pg, lite); diff != "" {
		t.Errorf("steps differ (-postgres +sqlite):\n%s", diff)
	}
}
