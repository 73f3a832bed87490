package config

import (
	"errors"
	"strings"
)

// Backend is a kind of store.
type Backend string

// Backends.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// ParseDatabaseURL tells which backend a database URL names and what to
// open it with: for SQLite the file path ("sqlite:PATH", "sqlite://PATH" or
// a plain path), for PostgreSQL the URL itself.
func ParseDatabaseURL(url string) (Backend, string, error) {
	switch {
	case url == "":
		return "", "", errors.New("the database URL is empty")
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return Postgres, url, nil
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
		if path == "" {
			return "", "", errors.New("the sqlite: URL names no file")
		}
		return SQLite, path, nil
	case strings.Contains(url, "://"):
		// Never echo the URL: it may carry a password.
		return "", "", errors.New("the database URL must start with sqlite:, postgres:// or postgresql://, or be a file path")
	}
	return SQLite, url, nil
}
