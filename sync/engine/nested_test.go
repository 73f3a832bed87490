package engine_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/sync/engine"
)

func TestResolveNestedCountsInnerGroupsMembersOnce(t *testing.T) {
	direct := map[string][]string{
		"all":   {"eng", "ops", "cy"},
		"eng":   {"ada", "bob"},
		"ops":   {"bob", "dee", "infra"},
		"infra": {"eve"},
		"empty": nil,
	}
	got := engine.ResolveNested(direct)
	want := map[string][]string{
		"all":   {"ada", "bob", "cy", "dee", "eve"},
		"eng":   {"ada", "bob"},
		"ops":   {"bob", "dee", "eve"},
		"infra": {"eve"},
		"empty": {},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("effective members (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"all", "ops"}, engine.NestedParents(direct)); diff != "" {
		t.Errorf("parents (-want +got):\n%s", diff)
	}
}

func TestResolveNestedEndsCycles(t *testing.T) {
	direct := map[string][]string{
		"a":    {"b", "ada"},
		"b":    {"a", "bob"},
		"self": {"self", "cy"},
		"c":    {"d"},
		"d":    {"e"},
		"e":    {"c", "dee"},
	}
	got := engine.ResolveNested(direct)
	want := map[string][]string{
		"a": {"ada", "bob"}, "b": {"ada", "bob"}, "self": {"cy"},
		"c": {"dee"}, "d": {"dee"}, "e": {"dee"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("effective members (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, engine.NestedParents(direct)); diff != "" {
		t.Errorf("parents (-want +got):\n%s", diff)
	}
}

// A chain deeper than MaxNestingDepth stops at the bound; a member reached
// both deep and shallow counts by its shallow way.
func TestResolveNestedStopsAtTheDepthBound(t *testing.T) {
	direct := map[string][]string{}
	n := engine.MaxNestingDepth + 5
	for i := 0; i < n; i++ {
		direct[fmt.Sprintf("g%02d", i)] = []string{fmt.Sprintf("g%02d", i+1), fmt.Sprintf("u%02d", i)}
	}
	direct[fmt.Sprintf("g%02d", n)] = []string{"last"}
	// g00 also holds g10 directly: g10's chain is then reached at depth 1.
	direct["g00"] = append(direct["g00"], "g10")
	got := engine.ResolveNested(direct)
	// Through g10, g00 reaches the end of the chain within the bound: every
	// u and "last".
	if top := got["g00"]; len(top) != n+1 || top[0] != "last" {
		t.Errorf("g00 has %d members, want %d with last: %v", len(top), n+1, top)
	}
	if deepest := got["g01"]; len(deepest) != engine.MaxNestingDepth+1 {
		t.Errorf("g01 has %d members, want %d: the chain is cut at the bound", len(deepest), engine.MaxNestingDepth+1)
	}
	for _, m := range got["g01"] {
		if m == "last" {
			t.Error("g01 reaches past the depth bound")
		}
	}
}

// BenchmarkResolveNested resolves a directory of 2,000 groups nested four
// levels deep (each holding 5 groups of the level below and its own
// users), with 100,000 direct user memberships.
func BenchmarkResolveNested(b *testing.B) {
	direct := map[string][]string{}
	const groups, users = 2000, 100000
	for i := range groups {
		key := fmt.Sprintf("cn=g%d", i)
		for c := 1; c <= 5; c++ {
			if child := i*5 + c; child < groups {
				direct[key] = append(direct[key], fmt.Sprintf("cn=g%d", child))
			}
		}
	}
	for u := range users {
		key := fmt.Sprintf("cn=g%d", u%groups)
		direct[key] = append(direct[key], fmt.Sprintf("uid=u%d", u))
	}
	b.ReportAllocs()
	for b.Loop() {
		engine.ResolveNested(direct)
	}
}
