package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// envMap turns a map into the environment Load takes.
func envMap(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadWithNothingGivesDefaults(t *testing.T) {
	cfg, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Default(), *cfg); diff != "" {
		t.Fatalf("config differs from defaults (-want +got):\n%s", diff)
	}
}

func TestLoadReadsYAML(t *testing.T) {
	path := writeFile(t, "roster.yaml", `
database:
  url: postgres://roster@db:5432/roster
http:
  addr: 127.0.0.1:9000
  public_url: https://roster.example.com/
  shutdown_timeout: 1m30s
  max_body_bytes: 2048
log:
  level: debug
  format: text
bootstrap:
  enabled: false
scim:
  rate_limit:
    requests_per_second: 2.5
    burst: 5
auth:
  totp_issuer: Acme IT
  session_ttl: 8h
  rate_limit:
    requests_per_second: 0
  insecure_cookies: true
mail:
  driver: smtp
  from: Acme IT <it@acme.test>
  smtp:
    host: smtp.acme.test
    port: 2525
    security: none
    username: roster
    password: hunter2
    timeout: 30s
`)
	cfg, err := Load(path, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Database.URL = "postgres://roster@db:5432/roster"
	want.HTTP = HTTP{Addr: "127.0.0.1:9000", PublicURL: "https://roster.example.com/", ShutdownTimeout: 90 * time.Second, MaxBodyBytes: 2048,
		MaxInFlight: 256, QueueTimeout: 100 * time.Millisecond}
	want.Log = Log{Level: "debug", Format: "text"}
	want.Bootstrap.Enabled = false
	want.SCIM.RateLimit = RateLimit{RequestsPerSecond: 2.5, Burst: 5}
	want.Auth.TOTPIssuer = "Acme IT"
	want.Auth.SessionTTL = 8 * time.Hour
	want.Auth.RateLimit.RequestsPerSecond = 0
	want.Auth.InsecureCookies = true
	want.Mail = Mail{Driver: "smtp", From: "Acme IT <it@acme.test>", SMTP: SMTP{
		Host: "smtp.acme.test", Port: 2525, Security: "none", Username: "roster", Password: "hunter2", Timeout: 30 * time.Second,
	}}
	if diff := cmp.Diff(want, *cfg); diff != "" {
		t.Fatalf("config mismatch (-want +got):\n%s", diff)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	key := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	keyFile := writeFile(t, "key", key+"\n")
	dbFile := writeFile(t, "db", "postgres://u:p@h/db\r\n")
	file := writeFile(t, "roster.yaml", "http:\n  addr: :7000\nlog:\n  level: warn\n")

	for _, tc := range []struct {
		name  string
		file  string
		env   map[string]string
		check func(*Config) any // returns the value under test
		want  any
	}{
		{"ROSTER_HTTP_ADDR overrides the default", "", map[string]string{"ROSTER_HTTP_ADDR": ":9090"},
			func(c *Config) any { return c.HTTP.Addr }, ":9090"},
		{"the environment wins over the file", file, map[string]string{"ROSTER_HTTP_ADDR": ":9090"},
			func(c *Config) any { return c.HTTP.Addr }, ":9090"},
		{"the file wins over defaults when the environment is silent", file, nil,
			func(c *Config) any { return c.Log.Level }, "warn"},
		{"an empty variable counts as unset", file, map[string]string{"ROSTER_LOG_LEVEL": ""},
			func(c *Config) any { return c.Log.Level }, "warn"},
		{"durations parse", "", map[string]string{"ROSTER_HTTP_SHUTDOWN_TIMEOUT": "2s"},
			func(c *Config) any { return c.HTTP.ShutdownTimeout }, 2 * time.Second},
		{"integers parse", "", map[string]string{"ROSTER_HTTP_MAX_BODY_BYTES": "4096"},
			func(c *Config) any { return c.HTTP.MaxBodyBytes }, int64(4096)},
		{"booleans parse", "", map[string]string{"ROSTER_BOOTSTRAP_ENABLED": "false"},
			func(c *Config) any { return c.Bootstrap.Enabled }, false},
		{"floats parse in nested sections", "", map[string]string{"ROSTER_SCIM_RATE_LIMIT_REQUESTS_PER_SECOND": "0.5"},
			func(c *Config) any { return c.SCIM.RateLimit.RequestsPerSecond }, 0.5},
		{"a secret comes from its variable", "", map[string]string{"ROSTER_SECURITY_ENCRYPTION_KEY": key},
			func(c *Config) any { return c.Security.EncryptionKey.Reveal() }, key},
		{"a secret comes from _FILE without its newline", "", map[string]string{"ROSTER_SECURITY_ENCRYPTION_KEY_FILE": keyFile},
			func(c *Config) any { return c.Security.EncryptionKey.Reveal() }, key},
		{"_FILE drops a CRLF too", "", map[string]string{"ROSTER_DATABASE_URL_FILE": dbFile},
			func(c *Config) any { return c.Database.URL.Reveal() }, "postgres://u:p@h/db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load(tc.file, envMap(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.check(cfg); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEveryFieldHasAnEnvironmentVariable(t *testing.T) {
	// Setting every variable to a valid non-default value must change
	// every field: proof that no key escapes the environment.
	values := map[string]string{
		"database.url": "postgres://x@y/z", "database.read_url": "postgres://x@r/z", "database.read_max_lag": "5s", "http.addr": ":1", "http.public_url": "https://r.example.com",
		"http.shutdown_timeout": "3s", "http.max_body_bytes": "5000", "http.max_in_flight": "-1", "http.queue_timeout": "1s", "log.level": "error", "log.format": "text",
		"bootstrap.enabled": "false", "bootstrap.org_slug": "acme", "bootstrap.org_name": "Acme",
		"bootstrap.org_domain": "acme.test", "bootstrap.admin_email": "root@acme.test",
		"bootstrap.admin_password": "pw", "security.encryption_key": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"security.previous_encryption_keys":   "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
		"scim.rate_limit.requests_per_second": "1", "scim.rate_limit.burst": "2",
		"auth.totp_issuer": "Acme", "auth.session_ttl": "1h", "auth.pending_ttl": "5m", "auth.invite_ttl": "24h",
		"auth.reset_ttl": "30m", "auth.api_token_ttl": "720h", "auth.rate_limit.requests_per_second": "-1",
		"auth.rate_limit.burst": "3", "auth.insecure_cookies": "true",
		"auth.passkeys.rp_id": "example.com", "auth.passkeys.origins": "https://r.example.com, https://id.example.com",
		"mail.driver": "smtp", "mail.from": "Roster <no-reply@acme.test>", "mail.outbox_dir": "/tmp/outbox",
		"mail.smtp.host": "smtp.acme.test", "mail.smtp.port": "2525", "mail.smtp.security": "tls",
		"mail.smtp.username": "roster", "mail.smtp.password": "pw", "mail.smtp.timeout": "5s",
		"sms.sender": "twilio", "sms.outbox_dir": "/tmp/sms", "sms.twilio.account_sid": "AC123", "sms.twilio.api_key_sid": "SK123",
		"sms.twilio.auth_token": "tok", "sms.twilio.from": "+15005550006", "sms.twilio.messaging_service_sid": "MG123",
		"sms.twilio.base_url": "https://twilio.acme.test", "sms.webhook.url": "https://sms.acme.test/send",
		"sms.webhook.secret":       "0123456789abcdef0123456789abcdef",
		"outbound.connect_timeout": "1s", "outbound.tls_handshake_timeout": "2s",
		"outbound.response_header_timeout": "3s", "outbound.timeout": "4s", "outbound.proxy": "http://proxy.acme.test:3128",
		"outbound.allow":           "10.0.0.0/8, ldap.acme.test",
		"jobs.inactivity.schedule": "0 3 * * *", "jobs.usage.schedule": "0 4 * * *", "jobs.inactivity.warn_days": "7", "jobs.sync_refresh": "30s",
	}
	env := map[string]string{}
	def := Default()
	for _, f := range fields(&def) {
		v, ok := values[f.Path]
		if !ok {
			t.Fatalf("the test has no value for %s; add one", f.Path)
		}
		env[f.Env] = v
	}
	cfg, err := Load("", envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	got := fields(cfg)
	for i, f := range fields(&def) {
		if reflect.DeepEqual(f.value.Interface(), got[i].value.Interface()) {
			t.Errorf("%s was not changed by %s", f.Path, f.Env)
		}
	}
}

func TestProblemsAreListedTogether(t *testing.T) {
	path := writeFile(t, "roster.yaml", `
database:
  url: mysql://root:hunter2@db/roster
http:
  adr: ":80"
  shutdown_timeout: soon
  max_body_bytes: 10
log:
  level: loud
  colour: true
bootstrap:
  org_slug: Not A Slug
  admin_email: nobody
security:
  encryption_key: c2hvcnQ=
scim:
  rate_limit: 5
extra: 1
jobs:
  inactivity:
    schedule: "every day at noon"
    warn_days: -1
  sync_refresh: 1ms
`)
	_, err := Load(path, envMap(map[string]string{
		"ROSTER_HTTP_MAX_BODY_BYTES":           "lots",
		"ROSTER_LOG_FORMAT":                    "xml",
		"ROSTER_HTTP_MAX_IN_FLIGHT":            "0",
		"ROSTER_HTTP_QUEUE_TIMEOUT":            "-1s",
		"ROSTER_BOOTSTRAP_ADMIN_PASSWORD":      "a",
		"ROSTER_BOOTSTRAP_ADMIN_PASSWORD_FILE": "/nonexistent",
		"ROSTER_DATABASE_URL_FILE":             "/nonexistent/db-url",
	}))
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Load error = %v, want *config.Error", err)
	}
	want := []string{
		`unknown key "http.adr" (line 5)`,
		`http.shutdown_timeout (line 6): "soon" is not a duration such as 15s or 1m30s`,
		`unknown key "log.colour" (line 10)`,
		`scim.rate_limit (line 17): "5" is not a mapping of keys`,
		`unknown key "extra" (line 18)`,
		`ROSTER_DATABASE_URL_FILE: open /nonexistent/db-url: no such file or directory`,
		`ROSTER_HTTP_MAX_BODY_BYTES: "lots" is not an integer`,
		`ROSTER_BOOTSTRAP_ADMIN_PASSWORD and ROSTER_BOOTSTRAP_ADMIN_PASSWORD_FILE are both set; set one`,
		`database.url: the database URL must start with sqlite:, postgres:// or postgresql://, or be a file path`,
		`http.max_in_flight: must be positive, or -1 for no bound, not 0`,
		`http.queue_timeout: must be positive, not -1s`,
		`http.max_body_bytes: must be between 1024 and 1073741824, not 10`,
		`log.level: "loud" is not one of debug, info, warn, error`,
		`log.format: "xml" is not one of json, text`,
		`bootstrap.org_slug: slug must be`,
		`bootstrap.admin_email: admin_email "nobody" is not an email address`,
		`security.encryption_key: must be 32 random bytes in standard base64`,
		`jobs.inactivity.schedule: "every day at noon" is not a cron schedule`,
		`jobs.inactivity.warn_days: must be between 0 and 365, not -1`,
		`jobs.sync_refresh: must be at least 1s, not 1ms`,
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not mention %q; it is:\n%s", w, msg)
		}
	}
	for _, secret := range []string{"hunter2", "c2hvcnQ="} {
		if strings.Contains(msg, secret) {
			t.Errorf("error leaks the secret %q:\n%s", secret, msg)
		}
	}
}

func TestMailProblemsAreListedTogether(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"smtp needs a host and a sender", map[string]string{"ROSTER_MAIL_DRIVER": "smtp"}, []string{
			"mail.from: is required with mail.driver smtp",
			"mail.smtp.host: is required with mail.driver smtp",
		}},
		{"every bad smtp value is named", map[string]string{
			"ROSTER_MAIL_DRIVER":             "smtp",
			"ROSTER_MAIL_FROM":               "not an address",
			"ROSTER_MAIL_SMTP_HOST":          "smtp.acme.test:587",
			"ROSTER_MAIL_SMTP_PORT":          "70000",
			"ROSTER_MAIL_SMTP_SECURITY":      "ssl",
			"ROSTER_MAIL_SMTP_PASSWORD":      "hunter2",
			"ROSTER_MAIL_SMTP_TIMEOUT":       "-1s",
			"ROSTER_AUTH_RATE_LIMIT_BURST":   "0",
			"ROSTER_AUTH_SESSION_TTL":        "0s",
			"ROSTER_AUTH_TOTP_ISSUER":        "Acme: IT",
			"ROSTER_SCIM_RATE_LIMIT_BURST":   "0",
			"ROSTER_HTTP_SHUTDOWN_TIMEOUT":   "0s",
			"ROSTER_BOOTSTRAP_ADMIN_EMAIL":   "nobody",
			"ROSTER_SECURITY_ENCRYPTION_KEY": "c2hvcnQ=",
		}, []string{
			`mail.from: "not an address" is not an email address`,
			`mail.smtp.host: "smtp.acme.test:587" is not a host name or address (the port goes in mail.smtp.port)`,
			"mail.smtp.port: must be between 1 and 65535, or 0 for the usual port of mail.smtp.security, not 70000",
			`mail.smtp.security: "ssl" is not one of starttls, tls, none`,
			"mail.smtp.password: is set but mail.smtp.username is not",
			"mail.smtp.timeout: must be positive, not -1s",
			"auth.rate_limit.burst: must be at least 1",
			"auth.session_ttl: must be positive, not 0s",
			`auth.totp_issuer: "Acme: IT" must not contain a colon`,
			"scim.rate_limit.burst: must be at least 1",
			"http.shutdown_timeout: must be positive",
			"bootstrap.admin_email:",
			"security.encryption_key: must be 32 random bytes",
		}},
		{"the file driver needs a sender and a directory", map[string]string{"ROSTER_MAIL_DRIVER": "file"}, []string{
			"mail.from: is required with mail.driver file",
			"mail.outbox_dir: is required with mail.driver file",
		}},
		{"an unknown driver is named", map[string]string{"ROSTER_MAIL_DRIVER": "sendmail"}, []string{
			`mail.driver: "sendmail" is not one of smtp, log, file`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", envMap(tc.env))
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Load error = %v, want *config.Error", err)
			}
			if len(cerr.Problems) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(cerr.Problems), len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q; it is:\n%s", w, err)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the SMTP password:\n%s", err)
			}
		})
	}
}

func TestMailSettingsThatNeedNothingMore(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"the log driver needs no sender", map[string]string{"ROSTER_MAIL_DRIVER": "log"}},
		{"smtp with host and sender", map[string]string{"ROSTER_MAIL_DRIVER": "smtp", "ROSTER_MAIL_FROM": "no-reply@acme.test", "ROSTER_MAIL_SMTP_HOST": "smtp.acme.test"}},
		{"smtp to an IPv6 address", map[string]string{"ROSTER_MAIL_DRIVER": "smtp", "ROSTER_MAIL_FROM": "no-reply@acme.test", "ROSTER_MAIL_SMTP_HOST": "::1", "ROSTER_MAIL_SMTP_SECURITY": "none"}},
		{"the file driver with sender and directory", map[string]string{"ROSTER_MAIL_DRIVER": "file", "ROSTER_MAIL_FROM": "no-reply@acme.test", "ROSTER_MAIL_OUTBOX_DIR": "outbox"}},
		{"auth rate limiting turned off", map[string]string{"ROSTER_AUTH_RATE_LIMIT_REQUESTS_PER_SECOND": "-1", "ROSTER_AUTH_RATE_LIMIT_BURST": "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load("", envMap(tc.env)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOutboundSettings(t *testing.T) {
	t.Run("every bad value is named, and the proxy's password is not", func(t *testing.T) {
		_, err := Load("", envMap(map[string]string{
			"ROSTER_OUTBOUND_CONNECT_TIMEOUT":         "0s",
			"ROSTER_OUTBOUND_TLS_HANDSHAKE_TIMEOUT":   "-1s",
			"ROSTER_OUTBOUND_RESPONSE_HEADER_TIMEOUT": "0s",
			"ROSTER_OUTBOUND_TIMEOUT":                 "-5s",
			"ROSTER_OUTBOUND_PROXY":                   "ftp://roster:hunter2@proxy.acme.test",
		}))
		var cerr *Error
		if !errors.As(err, &cerr) {
			t.Fatalf("Load error = %v, want *config.Error", err)
		}
		want := []string{
			"outbound.connect_timeout: must be positive, not 0s",
			"outbound.tls_handshake_timeout: must be positive, not -1s",
			"outbound.response_header_timeout: must be positive, not 0s",
			"outbound.timeout: must be positive, not -5s",
			"outbound.proxy: must be none, environment or the URL of a proxy",
		}
		if len(cerr.Problems) != len(want) {
			t.Errorf("got %d problems, want %d:\n%s", len(cerr.Problems), len(want), err)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error does not mention %q; it is:\n%s", w, err)
			}
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks the proxy password:\n%s", err)
		}
	})
	for _, proxy := range []string{"none", "environment", "http://proxy.acme.test:3128", "socks5://roster:pw@127.0.0.1:1080"} {
		t.Run("proxy "+proxy+" is accepted", func(t *testing.T) {
			cfg, err := Load("", envMap(map[string]string{"ROSTER_OUTBOUND_PROXY": proxy}))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Outbound.Proxy.Reveal(); got != proxy {
				t.Fatalf("proxy = %q", got)
			}
		})
	}
}

func TestLoadReportsUnreadableAndMalformedFiles(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"a YAML syntax error", "http:\n  addr: [\n", "config file: yaml: line"},
		{"a document that is a list", "- a\n- b\n", "cannot unmarshal !!seq into config.Config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "c.yaml", tc.content), envMap(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	t.Run("a missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), envMap(nil))
		if err == nil || !strings.Contains(err.Error(), "no such file") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("an empty file gives the defaults", func(t *testing.T) {
		cfg, err := Load(writeFile(t, "c.yaml", "# nothing\n"), envMap(nil))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Default(), *cfg); diff != "" {
			t.Fatal(diff)
		}
	})
	t.Run("an empty section keeps its defaults", func(t *testing.T) {
		cfg, err := Load(writeFile(t, "c.yaml", "http:\nlog:\n"), envMap(nil))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.HTTP.Addr != ":8080" {
			t.Fatalf("http.addr = %q", cfg.HTTP.Addr)
		}
	})
}

func TestBootstrapIsOnlyValidatedWhenEnabled(t *testing.T) {
	env := map[string]string{"ROSTER_BOOTSTRAP_ADMIN_EMAIL": "nobody", "ROSTER_BOOTSTRAP_ENABLED": "false"}
	if _, err := Load("", envMap(env)); err != nil {
		t.Fatalf("a disabled bootstrap section was validated: %v", err)
	}
}

func TestExampleFileLoadsAndDocumentsEveryKey(t *testing.T) {
	const example = "../../config.example.yaml"
	cfg, err := Load(example, envMap(nil))
	if err != nil {
		t.Fatalf("config.example.yaml does not load: %v", err)
	}
	if diff := cmp.Diff(Default(), *cfg); diff != "" {
		t.Errorf("config.example.yaml must show the defaults (-default +example):\n%s", diff)
	}
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	keys := map[int]keyAt{}
	indexKeys(&doc, "", keys)
	lineOf := map[string]int{}
	for line, k := range keys {
		lineOf[k.path] = line
	}
	lines := strings.Split(string(data), "\n")
	for _, f := range fields(cfg) {
		line, ok := lineOf[f.Path]
		if !ok {
			t.Errorf("config.example.yaml does not show %s", f.Path)
			continue
		}
		// The line above a key is the end of its comment.
		if above := strings.TrimSpace(lines[line-2]); !strings.HasPrefix(above, "#") {
			t.Errorf("config.example.yaml line %d: %s has no comment above it", line, f.Path)
		}
	}
}

func TestSecretsDoNotPrint(t *testing.T) {
	s := Secret("hunter2")
	if got := fmt.Sprint(s); got != "[redacted]" {
		t.Errorf("fmt.Sprint(secret) = %q", got)
	}
	if got := fmt.Sprintf("%v", Config{Database: Database{URL: s}}); strings.Contains(got, "hunter2") {
		t.Errorf("printing a config shows the secret: %s", got)
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "url", s)
	if strings.Contains(b.String(), "hunter2") {
		t.Errorf("slog shows the secret: %s", b.String())
	}
	if Secret("").String() != "" {
		t.Error("an empty secret should print as empty, to show it is unset")
	}
}

func TestParseDatabaseURL(t *testing.T) {
	for _, tc := range []struct {
		url     string
		backend Backend
		target  string
		wantErr bool
	}{
		{"sqlite:./roster.db", SQLite, "./roster.db", false},
		{"sqlite:/data/roster.db", SQLite, "/data/roster.db", false},
		{"sqlite:///data/roster.db", SQLite, "/data/roster.db", false},
		{"./roster.db", SQLite, "./roster.db", false},
		{"/var/lib/roster.db", SQLite, "/var/lib/roster.db", false},
		{"postgres://u:p@h:5432/db?sslmode=disable", Postgres, "postgres://u:p@h:5432/db?sslmode=disable", false},
		{"postgresql://h/db", Postgres, "postgresql://h/db", false},
		{"mysql://h/db", "", "", true},
		{"sqlite:", "", "", true},
		{"", "", "", true},
	} {
		t.Run(tc.url, func(t *testing.T) {
			b, target, err := ParseDatabaseURL(tc.url)
			if (err != nil) != tc.wantErr || b != tc.backend || target != tc.target {
				t.Fatalf("ParseDatabaseURL(%q) = %q, %q, %v", tc.url, b, target, err)
			}
		})
	}
}

func TestReadURL(t *testing.T) {
	const primary = "postgres://roster:hunter2@db:5432/roster"
	readFile := writeFile(t, "read-url", "postgresql://roster:hunter2@replica:5432/roster\n")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" for no problem
	}{
		{"a replica of PostgreSQL", map[string]string{"ROSTER_DATABASE_URL": primary,
			"ROSTER_DATABASE_READ_URL": "postgres://roster:hunter2@replica:5432/roster?pool_max_conns=8"}, ""},
		{"postgresql:// from a file, and no lag check", map[string]string{"ROSTER_DATABASE_URL": primary,
			"ROSTER_DATABASE_READ_URL_FILE": readFile, "ROSTER_DATABASE_READ_MAX_LAG": "0s"}, ""},
		{"a Unix socket", map[string]string{"ROSTER_DATABASE_URL": primary,
			"ROSTER_DATABASE_READ_URL": "postgres:///roster?host=/run/postgresql"}, ""},
		{"SQLite has no replicas", map[string]string{"ROSTER_DATABASE_READ_URL": "postgres://roster:hunter2@replica/roster"},
			"database.read_url: needs PostgreSQL in database.url; SQLite has no read replicas"},
		{"a SQLite file is no replica", map[string]string{"ROSTER_DATABASE_URL": primary, "ROSTER_DATABASE_READ_URL": "sqlite:./replica.db"},
			"database.read_url: must be a postgres:// or postgresql:// URL"},
		{"another database's URL", map[string]string{"ROSTER_DATABASE_URL": primary, "ROSTER_DATABASE_READ_URL": "mysql://root:hunter2@replica/roster"},
			"database.read_url: must be a postgres:// or postgresql:// URL"},
		{"a URL that does not parse", map[string]string{"ROSTER_DATABASE_URL": primary, "ROSTER_DATABASE_READ_URL": "postgres://roster:hunter2@replica:port/roster"},
			"database.read_url: is not a valid URL"},
		{"a negative lag", map[string]string{"ROSTER_DATABASE_URL": primary, "ROSTER_DATABASE_READ_MAX_LAG": "-1s"},
			"database.read_max_lag: must be 0 (no check) or more, not -1s"},
		{"a lag that is no duration", map[string]string{"ROSTER_DATABASE_URL": primary, "ROSTER_DATABASE_READ_MAX_LAG": "soon"},
			`ROSTER_DATABASE_READ_MAX_LAG: "soon" is not a duration`},
		{"set both ways", map[string]string{"ROSTER_DATABASE_URL": primary,
			"ROSTER_DATABASE_READ_URL": "postgres://replica/roster", "ROSTER_DATABASE_READ_URL_FILE": readFile},
			"ROSTER_DATABASE_READ_URL and ROSTER_DATABASE_READ_URL_FILE are both set; set one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load("", envMap(tc.env))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if cfg.Database.ReadURL == "" {
					t.Fatal("database.read_url is empty")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password:\n%s", err)
			}
		})
	}
	t.Run("the replica defaults", func(t *testing.T) {
		d := Default().Database
		if d.ReadURL != "" || d.ReadMaxLag != 30*time.Second {
			t.Fatalf("defaults: read_url set %t, read_max_lag %s", d.ReadURL != "", d.ReadMaxLag)
		}
	})
	t.Run("the read URL does not print", func(t *testing.T) {
		cfg, err := Load("", envMap(map[string]string{"ROSTER_DATABASE_URL": primary, "ROSTER_DATABASE_READ_URL_FILE": readFile}))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Database.ReadURL.Reveal() != "postgresql://roster:hunter2@replica:5432/roster" {
			t.Fatalf("read_url from the file = %q", cfg.Database.ReadURL.Reveal())
		}
		if got := fmt.Sprintf("%v", cfg.Database); strings.Contains(got, "hunter2") {
			t.Errorf("printing the database settings shows the password: %s", got)
		}
	})
}

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct {
		public, bound, want string
	}{
		{"", "[::]:8080", "http://localhost:8080"},
		{"", "0.0.0.0:8080", "http://localhost:8080"},
		{"", ":8080", "http://localhost:8080"},
		{"", "127.0.0.1:43121", "http://127.0.0.1:43121"},
		{"https://roster.example.com/", "[::]:8080", "https://roster.example.com"},
	} {
		if got := (HTTP{PublicURL: tc.public}).BaseURL(tc.bound); got != tc.want {
			t.Errorf("BaseURL(%q, %q) = %q, want %q", tc.public, tc.bound, got, tc.want)
		}
	}
}

func TestSlogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		if got := (Log{Level: in}).SlogLevel(); got != want {
			t.Errorf("SlogLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestUnknownEnvironmentVariables(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" for no problem
	}{
		{"settings are known", map[string]string{"ROSTER_LOG_LEVEL": "debug", "ROSTER_HTTP_ADDR": ":1"}, ""},
		{"a secret may come from a file", map[string]string{"ROSTER_SECURITY_ENCRYPTION_KEY_FILE": "/nonexistent"}, "ROSTER_SECURITY_ENCRYPTION_KEY_FILE: open"},
		{"the config file, tests and benchmarks are known", map[string]string{
			"ROSTER_CONFIG": "", "ROSTER_TEST_POSTGRES_URL": "x", "ROSTER_SCIM_LOAD_N": "1", "ROSTER_SYNC_BENCH": "1",
			"ROSTER_SYNC_BENCH_PARALLEL": "1", "ROSTER_SYNC_FAKE_GRAPH_USERS": "1", "ROSTER_BENCH_IMPORT": "1",
			"ROSTER_BENCH_TOKEN": "t", "ROSTER_UPDATE_GOLDEN": "1", "ROSTER_SCIM_LOAD_PG_PARAMS": "x",
		}, ""},
		{"other programs' variables are none of our business", map[string]string{"HOME": "/", "ROSTERX": "1"}, ""},
		{"a misspelt variable is refused", map[string]string{"ROSTER_LOG_LVL": "debug"}, "unknown environment variables ROSTER_LOG_LVL:"},
		{"all are listed, sorted", map[string]string{"ROSTER_ZZZ": "1", "ROSTER_HTTP_ADRR": "1"}, "unknown environment variables ROSTER_HTTP_ADRR, ROSTER_ZZZ:"},
		{"only secrets come from files", map[string]string{"ROSTER_LOG_LEVEL_FILE": "/x"}, "unknown environment variables ROSTER_LOG_LEVEL_FILE:"},
		{"an empty misspelt variable is still refused", map[string]string{"ROSTER_NOPE": ""}, "unknown environment variables ROSTER_NOPE:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", envMap(tc.env))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestOutboundAllowIsChecked(t *testing.T) {
	cfg, err := Load("", envMap(map[string]string{"ROSTER_OUTBOUND_ALLOW": "10.0.0.0/8 ldap.acme.test"}))
	if err != nil || cfg.Outbound.Allow != "10.0.0.0/8 ldap.acme.test" {
		t.Fatalf("Load = %+v, %v", cfg, err)
	}
	if Default().Outbound.Allow != "" {
		t.Fatal("the default allows internal destinations")
	}
	_, err = Load("", envMap(map[string]string{"ROSTER_OUTBOUND_ALLOW": "10.0.0.0/40"}))
	if err == nil || !strings.Contains(err.Error(), `outbound.allow: "10.0.0.0/40"`) {
		t.Fatalf("err = %v, want the bad entry named", err)
	}
}
