package main

import (
	"strings"
	"testing"
)

func TestBenchSCIMAgainstARunningServer(t *testing.T) {
	c := newCLI(t)
	// A load test is what the per-token rate limit exists to stop.
	c.env["ROSTER_SCIM_RATE_LIMIT_REQUESTS_PER_SECOND"] = "0"
	srv := c.startServe()
	token := capture(t, `SCIM token:\s+(\S+)`, srv.stdout.String())

	out := c.mustRun("bench", "scim", "--url", srv.base+"/scim/v2", "--token", token, "-n", "20", "-c", "4")
	for _, phase := range []string{"create", "lookup", "patch", "delete", "p50", "p99"} {
		if !strings.Contains(out, phase) {
			t.Errorf("bench output lacks %q:\n%s", phase, out)
		}
	}
	// The load test deletes what it created: only the admin is left.
	if code, body := srv.getWithToken(t, "/scim/v2/Users?count=1", token); code != 200 || !strings.Contains(body, `"totalResults":1`) {
		t.Errorf("after the bench: %d %s", code, body)
	}
}

func TestBenchSCIMRefusesBadArguments(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"bench"},
		{"bench", "ldap"},
		{"bench", "scim", "--token", "x"},
		{"bench", "scim", "--url", "http://127.0.0.1:1/scim/v2", "--token", "x", "-n", "0"},
	} {
		if code, _, stderr := c.run(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage); stderr %s", args, code, stderr)
		}
	}
	if code, _, _ := c.run("bench", "scim", "--url", "http://127.0.0.1:1/scim/v2", "--token", "rst_x", "-n", "1", "-c", "1"); code != 1 {
		t.Errorf("an unreachable server: exit %d, want 1", code)
	}
}
