package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/roster/roster/internal/auth"
	"github.com/roster/roster/internal/config"
	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// The key command rotates the encryption key (see SECURITY.md):
//
//  1. `roster key generate` prints a new key;
//  2. the operator makes it security.encryption_key, moves the old key to
//     security.previous_encryption_keys and restarts every replica: new
//     secrets are sealed under the new key, old ones still open;
//  3. `roster key reseal` re-seals every stored secret under the new key
//     and says how many it re-sealed;
//  4. once it reports nothing left under an old key, the operator removes
//     previous_encryption_keys.

func (a *app) keyCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("key: missing subcommand (generate, reseal)")
	}
	switch args[0] {
	case "generate":
		return a.keyGenerate(args[1:])
	case "reseal":
		return a.keyReseal(ctx, args[1:])
	}
	return usagef("key: unknown subcommand %q (generate, reseal)", args[0])
}

func (a *app) keyGenerate(args []string) error {
	fs := a.newFlagSet("key generate", "key generate")
	if err := fs.parse(args); err != nil {
		return err
	}
	key, err := newKey()
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, base64.StdEncoding.EncodeToString(key))
	return nil
}

// errResealIncomplete is reseal's answer when a previous key is still
// needed.
var errResealIncomplete = errors.New("some secrets are not under the new key yet; keep security.previous_encryption_keys")

func (a *app) keyReseal(ctx context.Context, args []string) error {
	fs := a.newFlagSet("key reseal", "key reseal [--config FILE]").withConfig(a)
	if err := fs.parse(args); err != nil {
		return err
	}
	return a.withService(ctx, *fs.config, func(ctx context.Context, cfg *config.Config, svc *directory.Service) error {
		backend, target, err := config.ParseDatabaseURL(cfg.Database.URL.Reveal())
		if err != nil {
			return err
		}
		key, err := resolveKey(ctx, cfg, backend, target, svc.CountOrgs)
		if err != nil {
			return err
		}
		reseal, err := newResealer(key)
		if err != nil {
			return err
		}
		counts, err := svc.ResealSecrets(ctx, cliActor(), reseal)
		if err != nil {
			return fmt.Errorf("re-seal: %w", err)
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SECRETS\tRE-SEALED\tALREADY UNDER THE KEY\tUNREADABLE\tCHANGED MEANWHILE")
		left := 0
		for _, c := range counts {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", c.Kind, c.Resealed, c.Current, c.Unreadable, c.Moved)
			left += c.Unreadable + c.Moved
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if left > 0 {
			fmt.Fprintf(a.stdout, "%d secrets are not under the new key: unreadable ones open under none of the configured keys "+
				"(add the key that sealed them to security.previous_encryption_keys); changed ones were written while this ran "+
				"(run it again).\n", left)
			return errResealIncomplete
		}
		if key.staleFile {
			if err := replaceKeyFile(key.file, key.key); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Wrote the new key into %s.\n", key.file)
		}
		if len(key.previous) > 0 {
			fmt.Fprintln(a.stdout, "Every secret is under the new key: remove security.previous_encryption_keys and restart.")
		} else {
			fmt.Fprintln(a.stdout, "Every secret is under the key.")
		}
		return nil
	})
}

// newResealer re-seals each kind of value with the sealer that wrote it,
// for the row it is bound to.
func newResealer(key *encryptionKey) (directory.Resealer, error) {
	text, err := auth.NewSealer(key.key, key.previous...)
	if err != nil {
		return nil, err
	}
	connectors, err := engine.NewSealer(key.key, key.previous...)
	if err != nil {
		return nil, err
	}
	return func(v directory.SealedValue) ([]byte, bool, error) {
		var (
			out     []byte
			changed bool
			err     error
		)
		switch v.Kind {
		case directory.SealedTOTPSeed, directory.SealedTOTPPendingSeed:
			var s string
			s, changed, err = text.Reseal(string(v.Value), auth.TOTPSeedContext(v.ID))
			out = []byte(s)
		case directory.SealedSSOClientSecret:
			var s string
			s, changed, err = text.Reseal(string(v.Value), auth.ClientSecretContext(v.ID))
			out = []byte(s)
		case directory.SealedConnectorSecrets:
			out, changed, err = connectors.Reseal(v.ID, v.Value)
		default:
			return nil, false, fmt.Errorf("no sealer for %s", v.Kind)
		}
		if errors.Is(err, auth.ErrUnseal) || errors.Is(err, engine.ErrSealed) {
			return nil, false, directory.ErrSealedUnreadable
		}
		return out, changed, err
	}, nil
}

// replaceKeyFile writes key over the key file at path, atomically: a
// reader sees the old key or the new one.
func replaceKeyFile(path string, key []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".roster-key-*") // mode 0600
	if err != nil {
		return fmt.Errorf("write encryption key file: %w", err)
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
	if werr == nil {
		werr = os.Rename(tmp.Name(), path) // #nosec G703 -- the key file of the operator-configured database
	}
	if werr != nil {
		return fmt.Errorf("write encryption key file: %w", werr)
	}
	syncDir(filepath.Dir(path))
	return nil
}
