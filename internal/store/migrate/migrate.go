// Package migrate reads numbered schema steps from an fs.FS and works out
// which of them a database still needs. Each store applies the steps itself,
// each in one transaction, and records them in its schema_migrations table.
package migrate

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema step.
type Migration struct {
	Version int    // the NNNN prefix of its file name
	Name    string // the file name without ".sql", e.g. "0001_core"
	SQL     string
}

// fileName is NNNN_words.sql; the number orders the steps.
var fileName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// Load reads the steps at the root of fsys, in version order. A file that is
// not a well-formed step, or two steps with one version, is an error: a
// misnamed file must not be skipped silently.
func Load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if v == 0 {
			return nil, fmt.Errorf("migration file %q: versions start at 0001", e.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration files %q and %q have the same version", other, e.Name())
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		if strings.TrimSpace(string(b)) == "" {
			return nil, fmt.Errorf("migration file %q is empty", e.Name())
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(e.Name(), path.Ext(e.Name())), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Pending returns the steps of all that are not in applied (version → name,
// as recorded in schema_migrations), in order. A recorded step whose name
// differs from the file of the same version means the database and the binary
// disagree about history, which is an error. Recorded versions the binary does
// not know are ignored: a newer replica may have migrated the database during
// a rolling upgrade.
func Pending(all []Migration, applied map[int]string) ([]Migration, error) {
	var out []Migration
	for _, m := range all {
		name, ok := applied[m.Version]
		switch {
		case !ok:
			out = append(out, m)
		case name != m.Name:
			return nil, fmt.Errorf("database records migration %d as %q, but this binary has %q", m.Version, name, m.Name)
		}
	}
	return out, nil
}
