// Package pgtest gives tests a fresh, migrated PostgreSQL database.
//
// Tests name a server with ROSTER_TEST_POSTGRES_URL, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Without it they
// are skipped, unless CI=true, where they fail: CI must not pass by
// skipping.
//
// Each call makes a schema of its own in that database and points the
// returned URL's search_path at it, so tests run in parallel without seeing
// each other. Schemas are cheap to make and drop; databases are slow to
// drop. Advisory locks are per database, though: tests of code that takes
// them must key them so that parallel tests do not collide.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roster/roster/internal/store/postgres"
)

// EnvURL names the environment variable holding the test server's URL.
const EnvURL = "ROSTER_TEST_POSTGRES_URL"

// BaseURL returns the test server's URL, or skips tb (fails it under
// CI=true) when none is set.
func BaseURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set; CI=true requires the PostgreSQL tests to run", EnvURL)
		}
		tb.Skipf("%s is not set; skipping PostgreSQL tests", EnvURL)
	}
	return base
}

// NewDatabaseURL returns the URL of an empty, migrated database of its own
// (a schema of the test server's database), dropped when tb ends.
func NewDatabaseURL(tb testing.TB) string {
	tb.Helper()
	u := NewEmptyDatabaseURL(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := postgres.Open(ctx, u)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("pgtest: migrate: %v", err)
	}
	return u
}

// NewEmptyDatabaseURL is NewDatabaseURL without the migrations, for tests
// of migrating.
func NewEmptyDatabaseURL(tb testing.TB) string {
	tb.Helper()
	base := BaseURL(tb)
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails
	schema := "roster_test_" + hex.EncodeToString(b[:])
	ident := pgx.Identifier{schema}.Sanitize()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("pgtest: connect to %s: %v", EnvURL, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			tb.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	u, err := withSearchPath(base, schema)
	if err != nil {
		tb.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	return u
}

// withSearchPath adds search_path=schema to a URL or keyword/value
// connection string; PostgreSQL takes it as a session setting.
func withSearchPath(base, schema string) (string, error) {
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " search_path=" + schema, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
