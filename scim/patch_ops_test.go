package scim

import (
	"strings"
	"testing"
)

// TestPatchOpNameIsToLower holds patchOpName to the rule it replaces: op
// lowered is add, remove or replace.
func TestPatchOpNameIsToLower(t *testing.T) {
	for _, op := range []string{
		"add", "Add", "ADD", "remove", "Remove", "REPLACE", "Replace", "rEpLaCe",
		"", "ad", "adds", "replace ", "ŕeplace", "remove\u212a", "İadd", "delete", "Äadd",
	} {
		want := strings.ToLower(op)
		if want != "add" && want != "remove" && want != "replace" {
			want = ""
		}
		if got := patchOpName(op); got != want {
			t.Errorf("patchOpName(%q) = %q, want %q", op, got, want)
		}
	}
}
