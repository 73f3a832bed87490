// Package config loads Roster's configuration: defaults, then a YAML file,
// then ROSTER_* environment variables (and ROSTER_*_FILE for secrets). Every
// problem found along the way is reported at once, in one *Error.
package config

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/roster/roster/internal/outbound"
)

// Config is the whole configuration. The yaml tags are the keys of
// config.example.yaml; the environment variable of a key is ROSTER_ followed
// by its path in upper case with dots as underscores
// (http.shutdown_timeout → ROSTER_HTTP_SHUTDOWN_TIMEOUT).
type Config struct {
	Database  Database  `yaml:"database"`
	HTTP      HTTP      `yaml:"http"`
	Log       Log       `yaml:"log"`
	Bootstrap Bootstrap `yaml:"bootstrap"`
	Security  Security  `yaml:"security"`
	SCIM      SCIM      `yaml:"scim"`
	Auth      Auth      `yaml:"auth"`
	Mail      Mail      `yaml:"mail"`
	SMS       SMS       `yaml:"sms"`
	Outbound  Outbound  `yaml:"outbound"`
	Jobs      Jobs      `yaml:"jobs"`
}

// Jobs configures the scheduled jobs. With several replicas on PostgreSQL,
// exactly one replica runs each tick.
type Jobs struct {
	Inactivity Inactivity `yaml:"inactivity"`
	Usage      Usage      `yaml:"usage"`
	// SyncRefresh is how often the scheduler re-reads the connectors'
	// schedules, so that connectors created or changed through the API
	// are picked up.
	SyncRefresh time.Duration `yaml:"sync_refresh"`
}

// Usage configures the job that records each organization's daily usage.
type Usage struct {
	// Schedule is a cron expression or a descriptor such as @daily.
	Schedule string `yaml:"schedule"`
}

// Inactivity configures the job that marks unused accounts inactive.
type Inactivity struct {
	// Schedule is a cron expression or a descriptor such as @daily.
	Schedule string `yaml:"schedule"`
	// WarnDays is how many days before deactivation a user is warned by
	// email; 0 sends no warning.
	WarnDays int `yaml:"warn_days"`
}

// Database says where users and organizations are stored.
type Database struct {
	// URL is sqlite:PATH (or a plain path) or postgres://…; it is a
	// secret because a PostgreSQL URL may carry a password.
	URL Secret `yaml:"url"`
	// ReadURL, PostgreSQL only, is a postgres:// URL of a streaming
	// replica of URL's database: the reads that may be seconds behind (the
	// admin API's usage history, audit log listing and users export) go to
	// it; every other read and every write stays on URL. Empty: none.
	ReadURL Secret `yaml:"read_url"`
	// ReadMaxLag is how far behind the replica may replay before those
	// reads go to URL instead; 0 turns the check off.
	ReadMaxLag time.Duration `yaml:"read_max_lag"`
}

// HTTP configures the listener serving SCIM, the API, health and metrics.
type HTTP struct {
	Addr string `yaml:"addr"`
	// PublicURL is the base URL clients reach Roster at; empty means one
	// derived from the bound address (see BaseURL).
	PublicURL       string        `yaml:"public_url"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	// MaxInFlight bounds the requests served at once (-1: no bound); a
	// request that finds no free slot within QueueTimeout gets 503.
	MaxInFlight  int           `yaml:"max_in_flight"`
	QueueTimeout time.Duration `yaml:"queue_timeout"`
}

// Log configures the process logger.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json, text
}

// Bootstrap describes what `roster serve` creates when it finds a database
// without organizations.
type Bootstrap struct {
	Enabled    bool   `yaml:"enabled"`
	OrgSlug    string `yaml:"org_slug"`
	OrgName    string `yaml:"org_name"`
	OrgDomain  string `yaml:"org_domain"`
	AdminEmail string `yaml:"admin_email"`
	// AdminPassword is the first admin's password; empty means a random
	// one, printed once.
	AdminPassword Secret `yaml:"admin_password"`
}

// Security holds key material.
type Security struct {
	// EncryptionKey is 32 bytes in standard base64; it encrypts TOTP
	// seeds, single sign-on client secrets and connector secrets at rest.
	// Empty means: with SQLite, a key generated once into a file next to
	// the database; with PostgreSQL, serve refuses to start.
	EncryptionKey Secret `yaml:"encryption_key"`
	// PreviousEncryptionKeys are keys that sealed values before a rotation,
	// separated by commas: they still open what they sealed, and seal
	// nothing. `roster key reseal` re-seals what they opened under
	// EncryptionKey; then they can go.
	PreviousEncryptionKeys Secret `yaml:"previous_encryption_keys"`
}

// PreviousKeys decodes PreviousEncryptionKeys (validated by Load).
func (s Security) PreviousKeys() ([][]byte, error) {
	var keys [][]byte
	for i, text := range strings.Split(s.PreviousEncryptionKeys.Reveal(), ",") {
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(text)
		if err != nil || len(key) != keyBytes {
			return nil, fmt.Errorf("security.previous_encryption_keys: key %d must be %d random bytes in standard base64", i+1, keyBytes)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// SCIM configures the SCIM endpoint.
type SCIM struct {
	RateLimit RateLimit `yaml:"rate_limit"`
}

// RateLimit is a token bucket per caller (a SCIM token; a client address
// or login name).
type RateLimit struct {
	RequestsPerSecond float64 `yaml:"requests_per_second"` // 0 turns limiting off
	Burst             int     `yaml:"burst"`
}

// Auth configures logins, sessions and one-time links of the admin API.
type Auth struct {
	// TOTPIssuer names Roster in authenticator apps.
	TOTPIssuer string `yaml:"totp_issuer"`
	// SessionTTL is how long a login session lasts.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// PendingTTL is how long a login may wait for its second factor.
	PendingTTL time.Duration `yaml:"pending_ttl"`
	// InviteTTL and ResetTTL are how long emailed links work.
	InviteTTL time.Duration `yaml:"invite_ttl"`
	ResetTTL  time.Duration `yaml:"reset_ttl"`
	// APITokenTTL is how long a personal API token works.
	APITokenTTL time.Duration `yaml:"api_token_ttl"`
	// RateLimit limits login, code, password and token requests per
	// client address and per login name; 0 or less turns it off.
	RateLimit RateLimit `yaml:"rate_limit"`
	// InsecureCookies drops the Secure flag of cookies, for plain-HTTP
	// development setups.
	InsecureCookies bool `yaml:"insecure_cookies"`
	// Passkeys configures WebAuthn: passkeys and security keys.
	Passkeys Passkeys `yaml:"passkeys"`
}

// Passkeys configures the WebAuthn relying party. By default it derives
// from http.public_url: its host is the relying party id and its
// scheme://host the one origin.
type Passkeys struct {
	// RPID is the domain passkeys are bound to (the public URL's host or
	// a parent domain of it); empty: the public URL's host.
	RPID string `yaml:"rp_id"`
	// Origins are the comma-separated origins (scheme://host[:port])
	// browsers may register and use passkeys from; empty: the public
	// URL's.
	Origins string `yaml:"origins"`
}

// Mail drivers.
const (
	MailSMTP = "smtp"
	MailLog  = "log"
	MailFile = "file"
)

// Mail configures how emails (invitations, password links, lockout
// notices) leave Roster.
type Mail struct {
	// Driver is smtp (a mail server), log (log recipient and subject,
	// for development) or file (.eml files in OutboxDir).
	Driver string `yaml:"driver"`
	// From is the sender, "Name <address>" or a bare address.
	From string `yaml:"from"`
	// OutboxDir is where the file driver writes messages.
	OutboxDir string `yaml:"outbox_dir"`
	SMTP      SMTP   `yaml:"smtp"`
}

// SMTP says how to reach the mail server of the smtp driver.
type SMTP struct {
	Host string `yaml:"host"`
	// Port 0 means the usual port of Security: 587, 465 or 25.
	Port int `yaml:"port"`
	// Security is starttls, tls or none.
	Security string `yaml:"security"`
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// Timeout bounds connecting and each SMTP command.
	Timeout time.Duration `yaml:"timeout"`
}

// Outbound configures the HTTP client of every call Roster makes to other
// servers: single sign-on providers (discovery, tokens, keys) and Microsoft
// Graph (tokens and API); Allow applies to LDAP connections too.
type Outbound struct {
	// ConnectTimeout bounds opening a connection.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// TLSHandshakeTimeout bounds the TLS handshake.
	TLSHandshakeTimeout time.Duration `yaml:"tls_handshake_timeout"`
	// ResponseHeaderTimeout bounds the wait for a response's headers.
	ResponseHeaderTimeout time.Duration `yaml:"response_header_timeout"`
	// Timeout bounds a whole request, body and redirects included.
	Timeout time.Duration `yaml:"timeout"`
	// Proxy is none, environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) or a
	// proxy URL; a secret, since the URL may carry a password.
	Proxy Secret `yaml:"proxy"`
	// Allow lists the internal destinations outbound connections (HTTP and
	// LDAP) may reach besides public addresses: IP addresses, CIDR
	// networks and host names, separated by commas or spaces.
	Allow string `yaml:"allow"`
}

// Default returns the configuration used for every key that neither the file
// nor the environment sets.
func Default() Config {
	return Config{
		Database: Database{URL: "sqlite:./roster.db", ReadMaxLag: 30 * time.Second},
		HTTP: HTTP{
			Addr:            ":8080",
			ShutdownTimeout: 15 * time.Second,
			MaxBodyBytes:    1 << 20,
			MaxInFlight:     256,
			QueueTimeout:    100 * time.Millisecond,
		},
		Log: Log{Level: "info", Format: "json"},
		Bootstrap: Bootstrap{
			Enabled:    true,
			OrgSlug:    "default",
			OrgName:    "Default organization",
			AdminEmail: "admin@example.com",
		},
		SCIM: SCIM{RateLimit: RateLimit{RequestsPerSecond: 100, Burst: 200}},
		Auth: Auth{
			TOTPIssuer:  "Roster",
			SessionTTL:  12 * time.Hour,
			PendingTTL:  10 * time.Minute,
			InviteTTL:   7 * 24 * time.Hour,
			ResetTTL:    time.Hour,
			APITokenTTL: 365 * 24 * time.Hour,
			RateLimit:   RateLimit{RequestsPerSecond: 1, Burst: 10},
		},
		Mail: Mail{
			Driver: MailLog,
			SMTP:   SMTP{Security: "starttls", Timeout: 15 * time.Second},
		},
		SMS: SMS{Sender: SMSSenderNone},
		Outbound: Outbound{
			ConnectTimeout:        outbound.DefaultConnectTimeout,
			TLSHandshakeTimeout:   outbound.DefaultTLSHandshakeTimeout,
			ResponseHeaderTimeout: outbound.DefaultResponseHeaderTimeout,
			Timeout:               outbound.DefaultTimeout,
			Proxy:                 outbound.ProxyEnvironment,
		},
		Jobs: Jobs{Inactivity: Inactivity{Schedule: "@daily"}, Usage: Usage{Schedule: "@daily"}, SyncRefresh: time.Minute},
	}
}

// Load reads the configuration: defaults, then the YAML file at path (none
// if path is empty), then the environment environ ("NAME=value" strings,
// os.Environ in production). A ROSTER_* variable that Roster does not read
// is a problem, like an unknown YAML key. Load returns an *Error listing
// every problem it found.
func Load(path string, environ []string) (*Config, error) {
	env := lookup(environ)
	cfg := Default()
	var problems []string
	if path != "" {
		data, err := os.ReadFile(path) // #nosec G304 -- the operator names the config file
		if err != nil {
			return nil, &Error{Problems: []string{fmt.Sprintf("read config file: %v", err)}}
		}
		problems = append(problems, decodeYAML(data, &cfg)...)
	}
	problems = append(problems, applyEnv(&cfg, func(k string) string { return env[k] })...)
	problems = append(problems, unknownEnv(&cfg, env)...)
	problems = append(problems, cfg.validate()...)
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return &cfg, nil
}

// Error lists every problem of a configuration.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// SlogLevel returns the configured level; Load has validated it.
func (l Log) SlogLevel() slog.Level {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.Level)); err != nil {
		return slog.LevelInfo
	}
	return level
}

// BaseURL returns the public base URL (without a trailing slash): PublicURL
// if set, else http:// and the bound address, with a wildcard host shown as
// localhost.
func (h HTTP) BaseURL(bound string) string {
	if h.PublicURL != "" {
		return strings.TrimRight(h.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return "http://" + bound
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
