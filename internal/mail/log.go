package mail

import (
	"context"
	"log/slog"
)

// Log is a development notifier that records who would have been mailed
// what. It never logs the body: invitations and reset messages carry
// one-time links and some carry passwords. Use the file outbox to read
// messages in development.
type Log struct {
	logger *slog.Logger
}

// NewLog returns a notifier that writes to logger.
func NewLog(logger *slog.Logger) *Log { return &Log{logger: logger} }

// Send logs the message's kind, recipient and subject.
func (l *Log) Send(ctx context.Context, m Message) error {
	l.logger.InfoContext(ctx, "email not sent (log driver)", "kind", string(m.Kind), "to", m.To, "subject", m.Subject)
	return nil
}
