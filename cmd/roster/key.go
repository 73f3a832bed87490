package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/roster/roster/internal/config"
)

// The encryption key seals TOTP seeds, single sign-on client secrets and
// connector secrets. Losing it loses them, so Roster never makes up a new
// key where an old one may have been used:
//
//   - a configured key (security.encryption_key) is used as it is;
//   - with PostgreSQL, a configured key is required: replicas must share it,
//     and there is no place next to the database to keep one;
//   - with SQLite, the key lives in a file next to the database
//     (roster.db → roster.key, mode 0600). It is generated when the
//     database has no organizations yet, so nothing can have been sealed;
//     a database with organizations but no key file is refused.

const (
	keyBytes = 32 // AES-256
	// keyFileMode lets only Roster's user read the key.
	keyFileMode = 0o600
)

// errNoPostgresKey is serve's answer to PostgreSQL without a key.
var errNoPostgresKey = errors.New("security.encryption_key is required with PostgreSQL: every replica must seal and open " +
	"TOTP seeds and single sign-on secrets with the same key. Generate one with `openssl rand -base64 32` and give it " +
	"to every replica as ROSTER_SECURITY_ENCRYPTION_KEY or ROSTER_SECURITY_ENCRYPTION_KEY_FILE")

// checkKeyConfigured fails when serve cannot resolve a key whatever the
// database holds; it runs before anything is opened.
func checkKeyConfigured(cfg *config.Config, backend config.Backend) error {
	if backend == config.Postgres && cfg.Security.EncryptionKey == "" {
		return errNoPostgresKey
	}
	return nil
}

// encryptionKey is the key serve seals secrets with, and where it came from.
type encryptionKey struct {
	key []byte
	// previous are the keys of security.previous_encryption_keys: they
	// open what they sealed before a rotation and seal nothing.
	previous [][]byte
	// file is the key file next to a SQLite database, if the key is (or
	// must agree with) one; "" otherwise.
	file string
	// generated says the key was made and written to file just now.
	generated bool
	// staleFile says the key file still holds a previous key, during a
	// rotation.
	staleFile bool
	// ephemeral says the key lives in memory only (an in-memory database).
	ephemeral bool
	// looseMode is the key file's mode when users other than the owner
	// may read it; 0 otherwise.
	looseMode fs.FileMode
}

// keyFilePath is where the generated key of the SQLite database at dbPath
// is kept: the database's name with .key for its extension.
func keyFilePath(dbPath string) string {
	p := strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + ".key"
	if p == dbPath { // a database named *.key
		p += ".key"
	}
	return p
}

// inMemory reports whether a SQLite target is an in-memory database.
func inMemory(target string) bool { return target == ":memory:" }

// resolveKey returns serve's encryption key. countOrgs tells whether the
// database is new; it is only called when no key is configured.
func resolveKey(ctx context.Context, cfg *config.Config, backend config.Backend, target string, countOrgs func(context.Context) (int, error)) (*encryptionKey, error) {
	if err := checkKeyConfigured(cfg, backend); err != nil {
		return nil, err
	}
	previous, err := cfg.Security.PreviousKeys()
	if err != nil {
		return nil, err
	}
	ek, err := resolvePrimaryKey(ctx, cfg, backend, target, previous, countOrgs)
	if err != nil {
		return nil, err
	}
	ek.previous = previous
	return ek, nil
}

// resolvePrimaryKey returns the key that seals.
func resolvePrimaryKey(ctx context.Context, cfg *config.Config, backend config.Backend, target string, previous [][]byte, countOrgs func(context.Context) (int, error)) (*encryptionKey, error) {
	sqliteFile := backend == config.SQLite && !inMemory(target)
	if configured := cfg.Security.EncryptionKey.Reveal(); configured != "" {
		key, err := base64.StdEncoding.DecodeString(configured)
		if err != nil || len(key) != keyBytes {
			// Load has validated it; this guards a caller that did not.
			return nil, errors.New("security.encryption_key: must be 32 random bytes in standard base64")
		}
		if !sqliteFile {
			return &encryptionKey{key: key}, nil
		}
		// A key generated earlier may have sealed what the database holds:
		// a different configured key would silently lose it.
		path := keyFilePath(target)
		stored, _, err := readKeyFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return &encryptionKey{key: key}, nil
		case err != nil:
			return nil, err
		case subtle.ConstantTimeCompare(stored, key) != 1 && isPrevious(stored, previous):
			// A rotation away from the generated key: `roster key reseal`
			// writes the new key into the file once nothing needs the old.
			return &encryptionKey{key: key, file: path, staleFile: true}, nil
		case subtle.ConstantTimeCompare(stored, key) != 1:
			return nil, fmt.Errorf("security.encryption_key differs from the key Roster generated for this database in %s, "+
				"under which its TOTP seeds and single sign-on secrets are sealed. Use that key "+
				"(ROSTER_SECURITY_ENCRYPTION_KEY_FILE=%s), or delete the file if the database holds nothing sealed under it", path, path)
		}
		return &encryptionKey{key: key, file: path}, nil
	}

	if inMemory(target) {
		key, err := newKey()
		if err != nil {
			return nil, err
		}
		return &encryptionKey{key: key, ephemeral: true}, nil
	}
	path := keyFilePath(target)
	key, mode, err := readKeyFile(path)
	if err == nil {
		ek := &encryptionKey{key: key, file: path}
		if mode&0o077 != 0 && runtime.GOOS != "windows" {
			ek.looseMode = mode
		}
		return ek, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	n, err := countOrgs(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, fmt.Errorf("the encryption key file %s is missing, but the database holds organizations whose TOTP seeds "+
			"and single sign-on secrets may be sealed under it. Restore the file from the backup of the database, "+
			"or set security.encryption_key to the key it held. If nothing was ever sealed (no TOTP enrolment, no single "+
			"sign-on, no connector secrets), create a new key: (umask 077; openssl rand -base64 32 > %s)", path, path)
	}
	key, generated, err := createKeyFile(path)
	if err != nil {
		return nil, err
	}
	return &encryptionKey{key: key, file: path, generated: generated}, nil
}

// ensureKeyFile gives a new SQLite database its key file, for the commands
// other than serve: the key is born with the database, so that a database
// with organizations and no key file means a lost key. It returns the path
// it wrote, or "" when it had nothing to do.
func ensureKeyFile(ctx context.Context, cfg *config.Config, backend config.Backend, target string, countOrgs func(context.Context) (int, error)) (string, error) {
	if backend != config.SQLite || inMemory(target) || cfg.Security.EncryptionKey != "" {
		return "", nil
	}
	path := keyFilePath(target)
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return "", nil // there, or unreadable: serve will tell
	}
	n, err := countOrgs(ctx)
	if err != nil || n > 0 {
		return "", err // organizations without a key: serve refuses and says why
	}
	_, generated, err := createKeyFile(path)
	if err != nil || !generated {
		return "", err
	}
	return path, nil
}

// isPrevious reports whether key is one of the previous keys.
func isPrevious(key []byte, previous [][]byte) bool {
	for _, p := range previous {
		if subtle.ConstantTimeCompare(key, p) == 1 {
			return true
		}
	}
	return false
}

func newKey() ([]byte, error) {
	key := make([]byte, keyBytes)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate encryption key: %w", err)
	}
	return key, nil
}

// readKeyFile reads a key file: the key in standard base64, as
// security.encryption_key takes it, and a newline.
func readKeyFile(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path) // #nosec G304 G703 -- the operator configures the database path
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("read encryption key file: %w", err)
	}
	defer func() { _ = f.Close() }()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("read encryption key file: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<10))
	if err != nil {
		return nil, 0, fmt.Errorf("read encryption key file: %w", err)
	}
	text := strings.TrimSpace(string(data))
	if text == "" {
		return nil, 0, fmt.Errorf("encryption key file %s is empty", path)
	}
	key, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(key) != keyBytes {
		return nil, 0, fmt.Errorf("encryption key file %s does not hold 32 bytes in standard base64", path)
	}
	return key, info.Mode().Perm(), nil
}

// createKeyFile writes a new random key to path, unless another process
// sharing the database got there first: then it returns that key and
// generated false. The key is written to a temporary file that is then
// linked into place, so that nobody reads a half-written key.
func createKeyFile(path string) (key []byte, generated bool, err error) {
	if key, err = newKey(); err != nil {
		return nil, false, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".roster-key-*") // mode 0600
	if err != nil {
		return nil, false, fmt.Errorf("write encryption key file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // #nosec G703 -- a temp file we created beside the configured database
	_, werr := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if werr == nil {
		werr = tmp.Chmod(keyFileMode)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, false, fmt.Errorf("write encryption key file: %w", werr)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			key, _, err := readKeyFile(path)
			return key, false, err
		}
		return nil, false, fmt.Errorf("write encryption key file: %w", err)
	}
	syncDir(filepath.Dir(path))
	return key, true, nil
}

// syncDir makes a new directory entry durable where the platform allows.
func syncDir(dir string) {
	d, err := os.Open(dir) // #nosec G304 G703 -- the directory of the operator-configured database
	if err != nil {
		return
	}
	_ = d.Sync() // not supported everywhere; the file itself is synced
	_ = d.Close()
}
