package engine

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
)

func TestUUIDsArePackedOnlyWhenTheyComeBackUnchanged(t *testing.T) {
	for _, s := range []string{"00000000-0000-4000-8000-000000000001", "0190a3f2-7c1e-7d3a-9f00-abcdefabcdef"} {
		id, ok := parseUUID(s)
		if !ok || formatUUID(id) != s {
			t.Errorf("parseUUID(%q) = %v, %v; formatted back %q", s, id, ok, formatUUID(id))
		}
	}
	for _, s := range []string{"", "u1", "0190A3F2-7C1E-7D3A-9F00-ABCDEFABCDEF", "{0190a3f2-7c1e-7d3a-9f00-abcdefabcdef}",
		"0190a3f2x7c1e-7d3a-9f00-abcdefabcdef", "0190a3f27c1e7d3a9f00abcdefabcdef", "0190a3f2-7c1e-7d3a-9f00-abcdefabcdeg"} {
		if _, ok := parseUUID(s); ok {
			t.Errorf("parseUUID(%q) took it as a UUID", s)
		}
	}
	if _, ok := parseDigest(strings.Repeat("ab", 16)); !ok {
		t.Error("a 32-digit hex digest was not read")
	}
	for _, s := range []string{"", strings.Repeat("AB", 16), strings.Repeat("a", 31), strings.Repeat("z", 32)} {
		if _, ok := parseDigest(s); ok {
			t.Errorf("parseDigest(%q) read it", s)
		}
	}
}

func TestUserIndexKeepsEveryRefIdAndKey(t *testing.T) {
	u := newUserIndex()
	const n = 3*slabSize + 17
	ref := func(i int) string {
		if i%2 == 0 {
			return fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		}
		return fmt.Sprintf("CN=User %d,OU=People", i) // not a UUID: kept as text
	}
	first := u.add(ref(0))
	for i := range n {
		st := first
		if i > 0 {
			st = u.add(ref(i))
		}
		u.setID(st, fmt.Sprintf("0190a3f2-7c1e-7d3a-9f00-%012d", i))
		if i%3 == 0 {
			st.planned = true
		}
		u.setMemberKey(st, fmt.Sprintf("uid=u%d,%s", i, strings.Repeat("ou=x,", i%40)))
		st.setHash(fmt.Sprintf("%032x", i))
		u.setStatus(st, directory.StatusActive)
		u.setRole(st, directory.RoleUser)
	}
	if u.get(ref(0)) != first {
		t.Fatal("an entry moved when the index grew")
	}
	if u.len() != n {
		t.Fatalf("len = %d, want %d", u.len(), n)
	}
	for i := range n {
		st := u.get(ref(i))
		if st == nil {
			t.Fatalf("%q is not found", ref(i))
		}
		wantID := fmt.Sprintf("0190a3f2-7c1e-7d3a-9f00-%012d", i)
		if i%3 == 0 {
			wantID = "new:" + ref(i)
		}
		if got := u.id(st); got != wantID {
			t.Fatalf("id of %q = %q, want %q", ref(i), got, wantID)
		}
		if got, want := u.memberKey(st), fmt.Sprintf("uid=u%d,%s", i, strings.Repeat("ou=x,", i%40)); got != want {
			t.Fatalf("member key of %q = %q, want %q", ref(i), got, want)
		}
		if u.ref(st) != ref(i) || !st.hashIs(fmt.Sprintf("%032x", i)) || st.hashIs(fmt.Sprintf("%032x", i+1)) ||
			u.status(st) != directory.StatusActive || u.role(st) != directory.RoleUser {
			t.Fatalf("entry %d reads back ref %q, status %q, role %q", i, u.ref(st), u.status(st), u.role(st))
		}
	}
	if u.get("00000000-0000-4000-8000-999999999999") != nil || u.get("CN=Nobody") != nil {
		t.Error("a ref never added was found")
	}

	u.remove(ref(1))
	u.remove(ref(2))
	if u.get(ref(1)) != nil || u.get(ref(2)) != nil || u.len() != n-2 {
		t.Errorf("removed entries are still found (len %d)", u.len())
	}
	refs := u.refs(func(*userState) bool { return true })
	if len(refs) != n-2 || refs[0] != ref(0) || refs[1] != ref(3) {
		t.Errorf("refs lists %d, beginning %q", len(refs), refs[:2])
	}
	// ensure finds an entry the index holds, and adds one it does not.
	for _, r := range []string{ref(0), ref(3)} {
		if st, added := u.ensure(r); added || st != u.get(r) {
			t.Errorf("ensure(%q) added %v, or another entry", r, added)
		}
	}
	for _, r := range []string{ref(n), ref(n + 1), ref(1)} { // ref(1) was removed
		if st, added := u.ensure(r); !added || st != u.get(r) || u.ref(st) != r {
			t.Errorf("ensure(%q) added %v", r, added)
		}
	}
	if u.len() != n+1 {
		t.Errorf("len = %d after ensuring three new refs, want %d", u.len(), n+1)
	}
	// A hash cleared by a deprovision matches nothing.
	u.get(ref(0)).setHash("")
	if u.get(ref(0)).hashIs("") {
		t.Error("an empty hash matched")
	}
}

func TestArenaKeepsTextAcrossChunks(t *testing.T) {
	var a arena
	var spans []span
	var texts []string
	for i := range 5000 {
		s := strings.Repeat(string(rune('a'+i%26)), i%97+1)
		if i == 2500 {
			s = strings.Repeat("big", arenaChunk) // longer than a chunk
		}
		spans, texts = append(spans, a.put(s)), append(texts, s)
	}
	if a.put("") != (span{}) || a.bytes(span{}) != nil {
		t.Error("the empty string takes room")
	}
	for i, sp := range spans {
		if got := string(a.bytes(sp)); got != texts[i] {
			t.Fatalf("text %d reads back %d bytes, want %d", i, len(got), len(texts[i]))
		}
	}
	if len(a.chunks) < 3 {
		t.Errorf("%d chunks: the test did not cross chunks", len(a.chunks))
	}
}

func TestMemberKeysFindTheirUsersWhenHashesCollide(t *testing.T) {
	u := newUserIndex()
	add := func(ref, key string) *userState {
		st := u.add(ref)
		u.setID(st, "id-"+ref)
		u.setMemberKey(st, key)
		u.setStatus(st, directory.StatusActive)
		return st
	}
	add("a", "uid=a")
	add("b", "uid=b")
	gone := add("c", "uid=c")
	u.setStatus(gone, directory.StatusDeleted)
	u.indexKeys()
	// Every key has the same hash: the index must still tell them apart.
	u.keys = &keyIndex{sum: func(string) uint64 { return 7 }, first: map[uint64]int32{}}
	u.each(func(st *userState) {
		if u.status(st) != directory.StatusDeleted {
			i, _ := u.find(u.ref(st))
			u.keys.put(u, i, u.memberKey(st))
		}
	})
	d := add("d", "uid=d") // after groups began: indexed as it is added
	member := func(key string) string {
		if st := u.member(key); st != nil {
			return u.id(st)
		}
		return ""
	}
	for key, want := range map[string]string{"uid=a": "id-a", "uid=b": "id-b", "uid=d": "id-d", "a": "id-a",
		"uid=c": "", "c": "", "uid=nobody": ""} {
		if got := member(key); got != want {
			t.Errorf("member(%q) = %q, want %q", key, got, want)
		}
	}
	// A key that changes is found under its new value only.
	u.setMemberKey(d, "uid=d2")
	if member("uid=d") != "" || member("uid=d2") != "id-d" {
		t.Errorf("after a rename: uid=d → %q, uid=d2 → %q", member("uid=d"), member("uid=d2"))
	}
	// A removed user is not found by its key.
	u.remove("b")
	if member("uid=b") != "" {
		t.Error("a removed user was found by its member key")
	}
}

func TestPresentRefsMarkTheirUsersSeen(t *testing.T) {
	u := newUserIndex()
	refs := []string{"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002", "CN=Text,OU=People", "CN=Other"}
	for _, ref := range refs {
		u.add(ref)
	}
	present := newRefSet()
	present.add(refs[0])
	present.add(refs[2])
	present.add("00000000-0000-4000-8000-00000000000f") // no user
	for ref, want := range map[string]bool{refs[0]: true, refs[1]: false, refs[2]: true, refs[3]: false,
		"00000000-0000-4000-8000-00000000000f": true, "00000000-0000-4000-8000-00000000000F": false} {
		if present.has(ref) != want {
			t.Errorf("has(%q) = %v, want %v", ref, !want, want)
		}
	}
	u.markSeen(present)
	for i, ref := range refs {
		if got, want := u.get(ref).seen, i == 0 || i == 2; got != want {
			t.Errorf("%q seen = %v, want %v", ref, got, want)
		}
	}
}

// TestTheIndexKeepsAUserInUnder180Bytes guards the run's memory at a
// million users (the bound is 512 MB for the process): what the
// index holds per user of an OpenLDAP directory (entryUUID refs, Roster
// ids, DNs as member keys), measured on the heap.
func TestTheIndexKeepsAUserInUnder180Bytes(t *testing.T) {
	const n = 200_000
	refs := make([]string, n)
	for i := range refs {
		refs[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	before := heapInUse()
	u := newUserIndex()
	for i, ref := range refs {
		st := u.add(ref)
		u.setID(st, fmt.Sprintf("0190a3f2-7c1e-7d3a-9f00-%012d", i))
		u.setMemberKey(st, fmt.Sprintf("uid=u%07d,ou=people,dc=example,dc=org", i))
		st.setHash(fmt.Sprintf("%032x", i))
		u.setStatus(st, directory.StatusActive)
		u.setRole(st, directory.RoleUser)
	}
	perUser := float64(heapInUse()-before) / n
	t.Logf("%.0f bytes a user", perUser)
	if perUser > 180 {
		t.Errorf("the index keeps %.0f bytes a user, over 180", perUser)
	}
	runtime.KeepAlive(u)
	runtime.KeepAlive(refs)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
