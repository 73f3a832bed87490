// Package mail sends the emails Roster owes its users: invitations, passwords
// set by an admin, password reset links, lockout notices and inactivity
// warnings. The Composer builds each Message from domain facts (links under
// the public URL, the embedded templates); a Notifier delivers it. SMTP is
// the production notifier, while the log and file outbox notifiers serve
// development and tests.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"time"
)

// Message is one composed email: a plain-text body and an HTML alternative.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// Kind says which template produced the message; notifiers that log
	// record it instead of the body.
	Kind Kind
}

// Notifier delivers messages.
type Notifier interface {
	Send(ctx context.Context, m Message) error
}

// Driver selects a notifier.
type Driver string

// Drivers.
const (
	DriverSMTP Driver = "smtp" // a real mail server
	DriverLog  Driver = "log"  // log recipient and subject only (development)
	DriverFile Driver = "file" // write .eml files into a directory (development)
)

// Config selects and configures the notifier.
type Config struct {
	Driver Driver
	// From is the sender address, e.g. "Roster <no-reply@example.com>".
	From string
	SMTP SMTPConfig
	// OutboxDir is where the file driver writes messages.
	OutboxDir string
}

// New returns the notifier cfg selects. logger receives the log driver's
// records; now names the outbox's files.
func New(cfg Config, logger *slog.Logger, now func() time.Time) (Notifier, error) {
	if _, err := mail.ParseAddress(cfg.From); err != nil && cfg.Driver != DriverLog {
		return nil, fmt.Errorf("mail: from address %q: %w", cfg.From, err)
	}
	switch cfg.Driver {
	case DriverSMTP:
		return NewSMTP(cfg.From, cfg.SMTP)
	case DriverLog:
		if logger == nil {
			return nil, errors.New("mail: the log driver needs a logger")
		}
		return NewLog(logger), nil
	case DriverFile:
		return NewOutbox(cfg.From, cfg.OutboxDir, now)
	}
	return nil, fmt.Errorf("mail: unknown driver %q (want smtp, log or file)", cfg.Driver)
}
