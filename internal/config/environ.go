package config

import (
	"fmt"
	"slices"
	"strings"
)

// envPrefix starts every variable Roster reads.
const envPrefix = "ROSTER_"

// otherVariables are the ROSTER_* variables that are not settings but that
// Roster, its tests or its benchmarks read legitimately.
var otherVariables = map[string]bool{
	"ROSTER_CONFIG":                true, // the configuration file (--config)
	"ROSTER_UPDATE_GOLDEN":         true, // rewrite the SCIM golden files
	"ROSTER_SCIM_LOAD_N":           true, // the SCIM load test
	"ROSTER_SCIM_LOAD_PG_PARAMS":   true,
	"ROSTER_SYNC_BENCH":            true, // the sync engine's benchmark
	"ROSTER_SYNC_BENCH_PARALLEL":   true,
	"ROSTER_SYNC_FAKE_GRAPH_USERS": true, // its fake Graph child process
}

// otherPrefixes are families of variables for tests and benchmarks:
// ROSTER_TEST_POSTGRES_URL, ROSTER_BENCH_IMPORT, ROSTER_BENCH_TOKEN …
var otherPrefixes = []string{"ROSTER_TEST_", "ROSTER_BENCH_"}

// lookup makes an environment in os.Environ form ("NAME=value") readable
// by name; as with os.Getenv, a name set twice takes its last value.
func lookup(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if name, value, ok := strings.Cut(kv, "="); ok {
			m[name] = value
		}
	}
	return m
}

// unknownEnv reports the ROSTER_* variables of env that Roster does not
// read: a misspelt variable would otherwise be ignored without a word.
func unknownEnv(c *Config, env map[string]string) []string {
	known := make(map[string]bool)
	for _, f := range fields(c) {
		known[f.Env] = true
		if f.Secret {
			known[f.Env+"_FILE"] = true
		}
	}
	var unknown []string
	for name := range env {
		if !strings.HasPrefix(name, envPrefix) || known[name] || otherVariables[name] ||
			slices.ContainsFunc(otherPrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		unknown = append(unknown, name)
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return []string{fmt.Sprintf("unknown environment variables %s: every setting's variable is ROSTER_ and its key in upper case (see config.example.yaml)",
		strings.Join(unknown, ", "))}
}
