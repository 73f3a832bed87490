package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Security is how the SMTP connection is protected.
type Security string

// SMTP security modes.
const (
	// SecuritySTARTTLS upgrades a plain connection and refuses servers that
	// cannot (submission, port 587).
	SecuritySTARTTLS Security = "starttls"
	// SecurityTLS speaks TLS from the first byte (port 465).
	SecurityTLS Security = "tls"
	// SecurityNone sends in the clear: only for a relay on localhost.
	SecurityNone Security = "none"
)

// SMTPConfig says how to reach the mail server.
type SMTPConfig struct {
	Host string
	// Port defaults to 587 for STARTTLS, 465 for TLS and 25 otherwise.
	Port     int
	Security Security
	// Username and Password enable SMTP AUTH; the strongest mechanism the
	// server offers is used. Without TLS, go-mail refuses to send a
	// password to anything but localhost.
	Username string
	Password string
	// Timeout bounds connecting and each command; 0 means 15 seconds.
	Timeout time.Duration
	// TLSConfig overrides the TLS settings (a private CA, say); nil means
	// the system roots and TLS 1.2 at least.
	TLSConfig *tls.Config
	// HELO is the name Roster greets the server with; empty means the
	// host name.
	HELO string
}

// SMTP delivers messages through a mail server. It opens one connection per
// message, so it is safe for concurrent use and holds nothing open between
// the rare emails Roster sends.
type SMTP struct {
	from   string
	client *gomail.Client
}

// NewSMTP returns an SMTP notifier sending as from.
func NewSMTP(from string, cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("mail: smtp host is required")
	}
	opts := []gomail.Option{}
	port := cfg.Port
	switch cfg.Security {
	case SecuritySTARTTLS, "":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		if port == 0 {
			port = gomail.DefaultPortTLS
		}
	case SecurityTLS:
		opts = append(opts, gomail.WithSSL())
		if port == 0 {
			port = gomail.DefaultPortSSL
		}
	case SecurityNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		if port == 0 {
			port = gomail.DefaultPort
		}
	default:
		return nil, fmt.Errorf("mail: smtp security %q is not starttls, tls or none", cfg.Security)
	}
	opts = append(opts, gomail.WithPort(port))
	if cfg.Timeout > 0 {
		opts = append(opts, gomail.WithTimeout(cfg.Timeout))
	}
	if cfg.TLSConfig != nil {
		tc := cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp client: %w", err)
	}
	return &SMTP{from: from, client: client}, nil
}

// Send delivers m, or returns why the server would not take it.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(s.from, m)
	if err != nil {
		return err
	}
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send %s to %s: %w", m.Kind, m.To, err)
	}
	return nil
}
