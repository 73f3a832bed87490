package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Outbox is a development notifier that writes each message as an .eml file
// into a directory, where a developer opens it (or a test reads it) to follow
// the links inside. Files are readable by their owner only: they hold
// one-time links and passwords.
type Outbox struct {
	from string
	dir  string
	now  func() time.Time
}

// NewOutbox returns an outbox writing into dir, which it creates if needed.
// now names the files.
func NewOutbox(from, dir string, now func() time.Time) (*Outbox, error) {
	if dir == "" {
		return nil, errors.New("mail: the file driver needs an outbox directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: outbox: %w", err)
	}
	return &Outbox{from: from, dir: dir, now: now}, nil
}

// Send writes m to a new file named after the current time, so that a
// directory listing reads in sending order.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := build(o.from, m)
	if err != nil {
		return err
	}
	var suffix [4]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	name := fmt.Sprintf("%s-%s-%s.eml", o.now().UTC().Format("20060102T150405.000000000"), m.Kind, hex.EncodeToString(suffix[:]))
	// #nosec G304 -- the name is made here from a time, a kind and random hex.
	f, err := os.OpenFile(filepath.Join(o.dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	if _, err := msg.WriteTo(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("mail: outbox: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	return nil
}
