package scim

import (
	"testing"

	"github.com/roster/roster/internal/directory"
)

// TestAppendMemberIsGroupAttributes checks that a streamed member reads as
// the member the rendered group holds, byte for byte.
func TestAppendMemberIsGroupAttributes(t *testing.T) {
	for _, m := range []directory.Member{
		{UserID: "0190aaaa-0000-7000-8000-000000000001", Display: "Ada Lovelace"},
		{UserID: "0190aaaa-0000-7000-8000-000000000002"},
		{UserID: "0190aaaa-0000-7000-8000-000000000003", Display: "\"Bobby\" <tables> & \\ é\u2028"},
	} {
		want, err := appendJSON(nil, groupAttributes(&directory.Group{}, []directory.Member{m}, "https://h.example/scim/v2")["members"].([]any)[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := appendMember(nil, m, "https://h.example/scim/v2"); string(got) != string(want) {
			t.Errorf("appendMember = %s, want %s", got, want)
		}
	}
}
