package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/jobs"
	"github.com/roster/roster/internal/outbound"
)

// Bounds of numeric settings.
const (
	minBodyBytes = 1 << 10
	maxBodyBytes = 1 << 30
	keyBytes     = 32 // AES-256
)

// validate returns every invalid value of c. Messages name the key, never a
// secret's value.
func (c *Config) validate() []string {
	var problems []string
	bad := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}

	backend, _, err := ParseDatabaseURL(c.Database.URL.Reveal())
	if err != nil {
		bad("database.url", "%v", err)
	}
	problems = append(problems, c.Database.validateRead(backend)...)

	if err := checkAddr(c.HTTP.Addr); err != nil {
		bad("http.addr", "%v", err)
	}
	if c.HTTP.PublicURL != "" {
		if err := checkPublicURL(c.HTTP.PublicURL); err != nil {
			bad("http.public_url", "%v", err)
		}
	}
	if c.HTTP.ShutdownTimeout <= 0 {
		bad("http.shutdown_timeout", "must be positive, not %s", c.HTTP.ShutdownTimeout)
	}
	if c.HTTP.MaxInFlight < -1 || c.HTTP.MaxInFlight == 0 {
		bad("http.max_in_flight", "must be positive, or -1 for no bound, not %d", c.HTTP.MaxInFlight)
	}
	if c.HTTP.QueueTimeout <= 0 {
		bad("http.queue_timeout", "must be positive, not %s", c.HTTP.QueueTimeout)
	}
	if c.HTTP.MaxBodyBytes < minBodyBytes || c.HTTP.MaxBodyBytes > maxBodyBytes {
		bad("http.max_body_bytes", "must be between %d and %d, not %d", minBodyBytes, maxBodyBytes, c.HTTP.MaxBodyBytes)
	}

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		bad("log.format", "%q is not one of json, text", c.Log.Format)
	}

	if c.Bootstrap.Enabled {
		problems = append(problems, c.Bootstrap.validate()...)
	}

	if key := c.Security.EncryptionKey.Reveal(); key != "" {
		if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != keyBytes {
			bad("security.encryption_key", "must be %d random bytes in standard base64 (openssl rand -base64 32)", keyBytes)
		}
	}

	if _, err := c.Security.PreviousKeys(); err != nil {
		problems = append(problems, err.Error())
	}

	rl := c.SCIM.RateLimit
	if rl.RequestsPerSecond < 0 {
		bad("scim.rate_limit.requests_per_second", "must be 0 (off) or more, not %g", rl.RequestsPerSecond)
	}
	if rl.RequestsPerSecond > 0 && rl.Burst < 1 {
		bad("scim.rate_limit.burst", "must be at least 1 when requests_per_second is set, not %d", rl.Burst)
	}

	problems = append(problems, c.Auth.validate()...)
	problems = append(problems, c.Mail.validate()...)
	problems = append(problems, c.SMS.validate()...)
	problems = append(problems, c.Outbound.validate()...)
	problems = append(problems, c.Jobs.validate()...)
	return problems
}

// validateRead checks the read replica's settings against the backend of
// database.url ("" when that URL is invalid). Messages never repeat the
// URL, which may carry a password.
func (d Database) validateRead(backend Backend) []string {
	var problems []string
	if d.ReadMaxLag < 0 {
		problems = append(problems, fmt.Sprintf("database.read_max_lag: must be 0 (no check) or more, not %s", d.ReadMaxLag))
	}
	read := d.ReadURL.Reveal()
	if read == "" {
		return problems
	}
	if b, _, err := ParseDatabaseURL(read); err != nil || b != Postgres {
		problems = append(problems, "database.read_url: must be a postgres:// or postgresql:// URL")
	} else if _, err := url.Parse(read); err != nil {
		problems = append(problems, "database.read_url: is not a valid URL")
	} else if backend == SQLite {
		problems = append(problems, "database.read_url: needs PostgreSQL in database.url; SQLite has no read replicas")
	}
	return problems
}

func (a Auth) validate() []string {
	var problems []string
	switch {
	case strings.TrimSpace(a.TOTPIssuer) == "":
		problems = append(problems, "auth.totp_issuer: must not be empty: authenticator apps show it next to the code")
	case strings.Contains(a.TOTPIssuer, ":"):
		problems = append(problems, fmt.Sprintf("auth.totp_issuer: %q must not contain a colon, which separates issuer and account in authenticator apps", a.TOTPIssuer))
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"auth.session_ttl", a.SessionTTL}, {"auth.pending_ttl", a.PendingTTL}, {"auth.invite_ttl", a.InviteTTL},
		{"auth.reset_ttl", a.ResetTTL}, {"auth.api_token_ttl", a.APITokenTTL},
	} {
		if d.v <= 0 {
			problems = append(problems, fmt.Sprintf("%s: must be positive, not %s", d.key, d.v))
		}
	}
	if rl := a.RateLimit; rl.RequestsPerSecond > 0 && rl.Burst < 1 {
		problems = append(problems, fmt.Sprintf("auth.rate_limit.burst: must be at least 1 when requests_per_second is positive, not %d", rl.Burst))
	}
	return problems
}

// validate checks the form of every mail setting, and that the driver
// chosen has what it needs.
func (m Mail) validate() []string {
	var problems []string
	bad := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}
	switch m.Driver {
	case MailSMTP, MailLog, MailFile:
	default:
		bad("mail.driver", "%q is not one of smtp, log, file", m.Driver)
	}
	if m.From != "" {
		if _, err := mail.ParseAddress(m.From); err != nil {
			bad("mail.from", "%q is not an email address such as \"Roster <no-reply@example.com>\"", m.From)
		}
	} else if m.Driver == MailSMTP || m.Driver == MailFile {
		bad("mail.from", "is required with mail.driver %s: the sender of every email", m.Driver)
	}
	if m.Driver == MailFile && m.OutboxDir == "" {
		bad("mail.outbox_dir", "is required with mail.driver file: the directory the emails are written to")
	}

	s := m.SMTP
	if s.Host != "" && net.ParseIP(s.Host) == nil && strings.ContainsAny(s.Host, ":/ ") {
		bad("mail.smtp.host", "%q is not a host name or address (the port goes in mail.smtp.port)", s.Host)
	} else if s.Host == "" && m.Driver == MailSMTP {
		bad("mail.smtp.host", "is required with mail.driver smtp: the mail server to send through")
	}
	if s.Port < 0 || s.Port > 65535 {
		bad("mail.smtp.port", "must be between 1 and 65535, or 0 for the usual port of mail.smtp.security, not %d", s.Port)
	}
	switch s.Security {
	case "starttls", "tls", "none":
	default:
		bad("mail.smtp.security", "%q is not one of starttls, tls, none", s.Security)
	}
	if s.Password != "" && s.Username == "" {
		bad("mail.smtp.password", "is set but mail.smtp.username is not; set both to log in to the mail server")
	}
	if s.Timeout <= 0 {
		bad("mail.smtp.timeout", "must be positive, not %s", s.Timeout)
	}
	return problems
}

func (o Outbound) validate() []string {
	var problems []string
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"outbound.connect_timeout", o.ConnectTimeout}, {"outbound.tls_handshake_timeout", o.TLSHandshakeTimeout},
		{"outbound.response_header_timeout", o.ResponseHeaderTimeout}, {"outbound.timeout", o.Timeout},
	} {
		if d.v <= 0 {
			problems = append(problems, fmt.Sprintf("%s: must be positive, not %s", d.key, d.v))
		}
	}
	// The error never repeats the value, which may hold a password.
	if _, err := outbound.ParseProxy(o.Proxy.Reveal()); err != nil {
		problems = append(problems, "outbound.proxy: "+err.Error())
	}
	if _, err := outbound.ParsePolicy(o.Allow); err != nil {
		problems = append(problems, "outbound.allow: "+err.Error())
	}
	return problems
}

func (b Bootstrap) validate() []string {
	var problems []string
	org := directory.Org{Slug: b.OrgSlug, Name: b.OrgName, Settings: directory.DefaultOrgSettings()}
	if b.OrgDomain != "" {
		org.Domains = []directory.Domain{{Name: b.OrgDomain, Primary: true}}
	}
	if err := org.Validate(); err != nil {
		field := map[string]string{"slug": "org_slug", "name": "org_name", "domains": "org_domain"}[fieldOf(err)]
		if field == "" {
			field = "org_slug"
		}
		problems = append(problems, "bootstrap."+field+": "+directory.ErrorMessage(err))
	}
	if err := directory.ValidateEmail("admin_email", b.AdminEmail); err != nil {
		problems = append(problems, "bootstrap.admin_email: "+directory.ErrorMessage(err))
	}
	return problems
}

func fieldOf(err error) string {
	var e *directory.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (use :8080 for every interface)", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no valid port", addr)
	}
	return nil
}

func checkPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must not have a query, fragment or user", s)
	}
	return nil
}

func (j Jobs) validate() []string {
	var problems []string
	if _, err := jobs.ParseSchedule(j.Inactivity.Schedule); err != nil {
		problems = append(problems, fmt.Sprintf("jobs.inactivity.schedule: %q is not a cron schedule: %v", j.Inactivity.Schedule, err))
	}
	if _, err := jobs.ParseSchedule(j.Usage.Schedule); err != nil {
		problems = append(problems, fmt.Sprintf("jobs.usage.schedule: %q is not a cron schedule: %v", j.Usage.Schedule, err))
	}
	if j.Inactivity.WarnDays < 0 || j.Inactivity.WarnDays > 365 {
		problems = append(problems, fmt.Sprintf("jobs.inactivity.warn_days: must be between 0 and 365, not %d", j.Inactivity.WarnDays))
	}
	if j.SyncRefresh < time.Second {
		problems = append(problems, fmt.Sprintf("jobs.sync_refresh: must be at least 1s, not %s", j.SyncRefresh))
	}
	return problems
}
