package sms

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

// Outbox is the development sender: each message becomes a file in a
// directory, readable by its owner only (it holds a one-time code), where
// a developer or a test reads it. It is never a production driver: the
// codes sit on disk.
type Outbox struct {
	dir string
	now func() time.Time
}

// NewOutbox returns an outbox writing into dir, which it creates.
func NewOutbox(dir string, now func() time.Time) (*Outbox, error) {
	if dir == "" {
		return nil, errors.New("sms: the file driver needs an outbox directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sms: outbox: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Outbox{dir: dir, now: now}, nil
}

// Send implements Sender: the file is named after the time, so that a
// listing reads in sending order, and holds "To:", a blank line and the
// body.
func (o *Outbox) Send(ctx context.Context, to, body string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	name := o.now().UTC().Format("20060102T150405.000000000") + "-" + hex.EncodeToString(suffix[:]) + ".sms"
	content := "To: " + to + "\n\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(o.dir, name), []byte(content), 0o600); err != nil {
		return fmt.Errorf("sms: outbox: %w", err)
	}
	return nil
}
