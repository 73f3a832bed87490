package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/roster/roster/internal/config"
)

func TestKeyFilePath(t *testing.T) {
	for db, want := range map[string]string{
		"./roster.db":          "./roster.key",
		"/data/acme.sqlite":    "/data/acme.key",
		"roster":               "roster.key",
		"/data/backup.db.gz":   "/data/backup.db.key",
		"/data/odd.key":        "/data/odd.key.key",
		"/srv/v1.2/roster.db3": "/srv/v1.2/roster.key",
	} {
		if got := keyFilePath(db); got != want {
			t.Errorf("keyFilePath(%q) = %q, want %q", db, got, want)
		}
	}
}

func noOrgs(context.Context) (int, error) { return 0, nil }

func TestConcurrentFirstStartsAgreeOnOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.key")
	const n = 8
	keys := make([][]byte, n)
	generated := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			keys[i], generated[i], err = createKeyFile(path)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	made := 0
	for i := range n {
		if generated[i] {
			made++
		}
		if !bytes.Equal(keys[i], keys[0]) || len(keys[i]) != keyBytes {
			t.Fatalf("process %d got another key", i)
		}
	}
	if made != 1 {
		t.Errorf("%d processes wrote the key, want 1", made)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".roster-key-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestResolveKey(t *testing.T) {
	ctx := context.Background()
	sqliteCfg := func(key string) *config.Config {
		cfg := config.Default()
		cfg.Security.EncryptionKey = config.Secret(key)
		return &cfg
	}
	t.Run("a broken key file is named, never guessed around", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "roster.db")
		for content, want := range map[string]string{
			"":                     "is empty",
			"not base64!\n":        "does not hold 32 bytes in standard base64",
			"c2hvcnQ=\n":           "does not hold 32 bytes in standard base64",
			"secret-looking-thing": "does not hold 32 bytes",
		} {
			if err := os.WriteFile(keyFilePath(db), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := resolveKey(ctx, sqliteCfg(""), config.SQLite, db, noOrgs)
			if err == nil || !strings.Contains(err.Error(), want) || (content != "" && strings.Contains(err.Error(), strings.TrimSpace(content))) {
				t.Errorf("key file %q: error %v, want %q without the content", content, err, want)
			}
		}
	})
	t.Run("a key file others may read is reported", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("no Unix permissions")
		}
		db := filepath.Join(t.TempDir(), "roster.db")
		k, err := resolveKey(ctx, sqliteCfg(""), config.SQLite, db, noOrgs)
		if err != nil || !k.generated || k.looseMode != 0 {
			t.Fatalf("first resolve = %+v, %v", k, err)
		}
		if err := os.Chmod(keyFilePath(db), 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := resolveKey(ctx, sqliteCfg(""), config.SQLite, db, noOrgs)
		if err != nil || again.generated || again.looseMode != 0o644 || !bytes.Equal(again.key, k.key) {
			t.Fatalf("second resolve = generated %v, mode %v, same key %v, %v", again.generated, again.looseMode, bytes.Equal(again.key, k.key), err)
		}
	})
	t.Run("an in-memory database gets a key that lives in memory", func(t *testing.T) {
		k, err := resolveKey(ctx, sqliteCfg(""), config.SQLite, ":memory:", noOrgs)
		if err != nil || !k.ephemeral || k.file != "" || len(k.key) != keyBytes {
			t.Fatalf("resolve = %+v, %v", k, err)
		}
	})
	t.Run("a configured key serves PostgreSQL", func(t *testing.T) {
		k, err := resolveKey(ctx, sqliteCfg("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="), config.Postgres, "postgres://h/db", noOrgs)
		if err != nil || string(k.key) != "0123456789abcdef0123456789abcdef" || k.file != "" {
			t.Fatalf("resolve = %+v, %v", k, err)
		}
	})
	t.Run("a key file listed as previous lets a new key start, for a rotation", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "roster.db")
		first, err := resolveKey(ctx, sqliteCfg(""), config.SQLite, db, noOrgs)
		if err != nil {
			t.Fatal(err)
		}
		cfg := sqliteCfg("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
		if _, err := resolveKey(ctx, cfg, config.SQLite, db, noOrgs); err == nil {
			t.Fatal("a configured key unlike the file's started without the file's key listed as previous")
		}
		cfg.Security.PreviousEncryptionKeys = config.Secret(strings.TrimSpace(readFile(t, keyFilePath(db))))
		k, err := resolveKey(ctx, cfg, config.SQLite, db, noOrgs)
		if err != nil || !k.staleFile || len(k.previous) != 1 || !bytes.Equal(k.previous[0], first.key) || string(k.key) != "0123456789abcdef0123456789abcdef" {
			t.Fatalf("resolve during a rotation = %+v, %v", k, err)
		}
	})
}
