package config

import "log/slog"

// Secret is a configuration value that must never reach a log or an error
// message: printing it with fmt or slog shows a placeholder. Its
// environment variable may also name a file holding it (ROSTER_…_FILE).
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself, for the one place that uses it.
func (s Secret) Reveal() string { return string(s) }

// String hides the value from fmt.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// LogValue hides the value from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
