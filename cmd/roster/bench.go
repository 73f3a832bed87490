package main

import (
	"context"

	"github.com/roster/roster/scim/loadtest"
)

func (a *app) bench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "scim" {
		return usagef("bench: missing or unknown target (scim)")
	}
	fs := a.newFlagSet("bench scim", "bench scim --url URL --token TOKEN [-n USERS] [-c CLIENTS]")
	url := fs.String("url", "", "SCIM base `URL`, e.g. http://localhost:8080/scim/v2")
	token := fs.String("token", a.env("ROSTER_BENCH_TOKEN"), "SCIM bearer `token` (default $ROSTER_BENCH_TOKEN)")
	n := fs.Int("n", 1000, "number of users to create, look up, patch and delete")
	c := fs.Int("c", 16, "number of concurrent clients")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	if err := fs.required("url", "token"); err != nil {
		return err
	}
	if *n <= 0 || *c <= 0 {
		return usagef("bench scim: -n and -c must be positive")
	}
	return loadtest.Run(ctx, loadtest.Options{URL: *url, Token: *token, N: *n, Concurrency: *c}, a.stdout)
}
