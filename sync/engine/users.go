package engine

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"strings"

	"github.com/google/uuid"

	"github.com/roster/roster/internal/directory"
)

// userIndex is what a run keeps of every user of the connector, by ref:
// at a million users it is most of the run's memory, so it is kept small
// and out of the collector's way.
//   - Each user is a fixed-size userState without pointers, in slabs that
//     never move (a *userState stays valid) and that the collector does
//     not scan.
//   - Refs and user ids that are canonical UUIDs, as directories and
//     Roster make them, are kept as their 16 bytes; other text (member
//     keys, and any ref or id that is not a UUID) as spans of an arena of
//     byte chunks.
//   - A user's hash is kept as the 16 bytes its hex stands for, and its
//     status, status authority and role as numbers of a small table.
type userIndex struct {
	byUUID map[[16]byte]int32
	byText map[string]int32 // refs that are not canonical UUIDs
	slabs  []*[slabSize]userState
	used   int32 // entries handed out, live or removed
	live   int
	text   arena
	words  []string // status, authority and role values, by number
	wordOf map[string]uint16
	keys   *keyIndex // member keys, once groups begin (indexKeys)
}

const slabSize = 4096

// userState is the run's entry for a linked user (or one it plans to
// create). Its text is read through the index: ref, id and memberKey.
type userState struct {
	refID, userID packed
	memberKey     span
	hash          [16]byte
	status        uint16 // a word: directory.Status
	statusSetBy   uint16 // a word: directory.Authority
	role          uint16 // a word: directory.Role
	// hashed says hash holds the digest last applied; a link without one
	// (after a deprovision) matches no directory view.
	hashed bool
	// planned marks a user the run creates: until its creation is
	// applied, its id is "new:<ref>".
	planned bool
	seen    bool
	// inflight marks a user whose change is being applied: its id and
	// hash are known once the batch comes back.
	inflight bool
	// leaving marks a user the plan deprovisions.
	leaving bool
	// written marks a user someone but the connector wrote since the
	// connector last did: its attributes may have drifted.
	written bool
	// removed marks an entry taken out of the index (a creation that
	// failed).
	removed bool
}

func newUserIndex() *userIndex {
	return &userIndex{byUUID: map[[16]byte]int32{}, byText: map[string]int32{}, words: []string{""}, wordOf: map[string]uint16{"": 0}}
}

// len is the number of users the index holds.
func (u *userIndex) len() int { return u.live }

func (u *userIndex) at(i int32) *userState { return &u.slabs[i/slabSize][i%slabSize] }

func (u *userIndex) find(ref string) (int32, bool) {
	id, isUUID := parseUUID(ref)
	return u.lookup(ref, id, isUUID)
}

// lookup finds ref, read as id when it is a UUID.
func (u *userIndex) lookup(ref string, id [16]byte, isUUID bool) (int32, bool) {
	if isUUID {
		i, found := u.byUUID[id]
		return i, found
	}
	i, found := u.byText[ref]
	return i, found
}

// get returns the user of ref, or nil.
func (u *userIndex) get(ref string) *userState {
	if i, ok := u.find(ref); ok {
		return u.at(i)
	}
	return nil
}

// add makes an entry for ref, which the index must not hold, and keeps
// its own copy of ref.
func (u *userIndex) add(ref string) *userState {
	id, isUUID := parseUUID(ref)
	return u.insert(ref, id, isUUID)
}

// ensure returns ref's entry, and whether it made it (see add) because
// the index had none: one reading of ref where get and add take two.
func (u *userIndex) ensure(ref string) (*userState, bool) {
	id, isUUID := parseUUID(ref)
	if i, found := u.lookup(ref, id, isUUID); found {
		return u.at(i), false
	}
	return u.insert(ref, id, isUUID), true
}

// insert adds ref's entry, ref read as id when it is a UUID.
func (u *userIndex) insert(ref string, id [16]byte, isUUID bool) *userState {
	i := u.used
	if int(i)%slabSize == 0 {
		u.slabs = append(u.slabs, new([slabSize]userState))
	}
	u.used++
	u.live++
	st := u.at(i)
	if isUUID {
		st.refID = packed{b: id}
		u.byUUID[id] = i
	} else {
		st.refID = u.pack(ref)
		u.byText[strings.Clone(ref)] = i
	}
	return st
}

// remove takes ref's user out of the index.
func (u *userIndex) remove(ref string) {
	i, ok := u.find(ref)
	if !ok {
		return
	}
	if id, isUUID := parseUUID(ref); isUUID {
		delete(u.byUUID, id)
	} else {
		delete(u.byText, ref)
	}
	u.at(i).removed = true
	u.live--
}

// each calls fn with every user of the index, in the order they were
// added.
func (u *userIndex) each(fn func(st *userState)) {
	for i := range u.used {
		if st := u.at(i); !st.removed {
			fn(st)
		}
	}
}

// refs lists the refs of the users for which keep says so.
func (u *userIndex) refs(keep func(st *userState) bool) []string {
	var out []string
	u.each(func(st *userState) {
		if keep(st) {
			out = append(out, u.ref(st))
		}
	})
	return out
}

func (u *userIndex) ref(st *userState) string { return u.unpack(st.refID) }

// id is the user's Roster id, or "new:<ref>" while its creation is
// planned.
func (u *userIndex) id(st *userState) string {
	if st.planned {
		return "new:" + u.ref(st)
	}
	return u.unpack(st.userID)
}

// setID records the user's Roster id: its creation, if planned, is
// applied.
func (u *userIndex) setID(st *userState, id string) {
	st.userID, st.planned = u.pack(id), false
}

func (u *userIndex) memberKey(st *userState) string { return string(u.text.bytes(st.memberKey)) }

// setMemberKey records the user's member key; once groups began, member
// lists find the user by it.
func (u *userIndex) setMemberKey(st *userState, key string) {
	if string(u.text.bytes(st.memberKey)) == key {
		return
	}
	st.memberKey = u.text.put(key)
	if u.keys != nil && key != "" {
		if i, ok := u.find(u.ref(st)); ok {
			u.keys.put(u, i, key)
		}
	}
}

// setHash records the digest last applied ("" for none).
func (st *userState) setHash(hash string) {
	st.hash, st.hashed = parseDigest(hash)
}

// hashIs reports whether the digest last applied is hash.
func (st *userState) hashIs(hash string) bool {
	h, ok := parseDigest(hash)
	return ok && st.hashed && h == st.hash
}

// word numbers one of the few values of a status, authority or role.
func (u *userIndex) word(s string) uint16 {
	if n, ok := u.wordOf[s]; ok {
		return n
	}
	if len(u.words) > 1<<16-1 {
		// The values come from small enumerations: this is a defect.
		panic("sync: too many distinct statuses and roles")
	}
	n := uint16(len(u.words)) //nolint:gosec // the check above keeps it within uint16
	u.words = append(u.words, s)
	u.wordOf[s] = n
	return n
}

func (u *userIndex) status(st *userState) directory.Status {
	return directory.Status(u.words[st.status])
}

func (u *userIndex) setStatus(st *userState, s directory.Status) { st.status = u.word(string(s)) }

func (u *userIndex) statusSetBy(st *userState) directory.Authority {
	return directory.Authority(u.words[st.statusSetBy])
}

func (u *userIndex) role(st *userState) directory.Role { return directory.Role(u.words[st.role]) }

func (u *userIndex) setRole(st *userState, r directory.Role) { st.role = u.word(string(r)) }

// indexKeys makes member keys find their users, once every user is
// known: groups name their members by ref or by member key. Deleted users
// are not found.
func (u *userIndex) indexKeys() {
	seed := maphash.MakeSeed()
	u.keys = &keyIndex{sum: func(key string) uint64 { return maphash.String(seed, key) }, first: make(map[uint64]int32, u.live)}
	for i := range u.used {
		st := u.at(i)
		if st.removed || st.memberKey.n == 0 || u.status(st) == directory.StatusDeleted {
			continue
		}
		u.keys.put(u, i, u.memberKey(st))
	}
}

// member finds the user a group's member list names, by ref or member
// key; not a deleted one.
func (u *userIndex) member(key string) *userState {
	st := u.get(key)
	if st == nil && u.keys != nil {
		st = u.keys.get(u, key)
	}
	if st == nil || u.status(st) == directory.StatusDeleted {
		return nil
	}
	return st
}

// keyIndex finds users by member key through a 64-bit hash of the key,
// checked against the key itself; the rare key whose hash another key
// took is kept whole.
type keyIndex struct {
	sum   func(key string) uint64
	first map[uint64]int32
	more  map[string]int32
}

func (k *keyIndex) get(u *userIndex, key string) *userState {
	if i, ok := k.more[key]; ok && u.holdsKey(i, key) {
		return u.at(i)
	}
	if i, ok := k.first[k.sum(key)]; ok && u.holdsKey(i, key) {
		return u.at(i)
	}
	return nil
}

func (k *keyIndex) put(u *userIndex, i int32, key string) {
	if _, ok := k.more[key]; ok {
		k.more[key] = i
		return
	}
	h := k.sum(key)
	if j, taken := k.first[h]; taken && j != i && !u.holdsKey(j, key) && u.at(j).memberKey.n > 0 && !u.at(j).removed &&
		k.sum(u.memberKey(u.at(j))) == h {
		// Another user's key has this hash.
		if k.more == nil {
			k.more = map[string]int32{}
		}
		k.more[key] = i
		return
	}
	k.first[h] = i
}

// holdsKey reports whether entry i is in the index with member key key.
func (u *userIndex) holdsKey(i int32, key string) bool {
	st := u.at(i)
	return !st.removed && string(u.text.bytes(st.memberKey)) == key
}

// refSet is a set of refs: those that are canonical UUIDs are kept as
// their 16 bytes, without a string each.
type refSet struct {
	uuids map[[16]byte]struct{}
	texts map[string]struct{}
}

func newRefSet() *refSet {
	return &refSet{uuids: map[[16]byte]struct{}{}, texts: map[string]struct{}{}}
}

// add puts a copy of ref in the set.
func (s *refSet) add(ref string) {
	if id, ok := parseUUID(ref); ok {
		s.uuids[id] = struct{}{}
		return
	}
	s.texts[strings.Clone(ref)] = struct{}{}
}

func (s *refSet) has(ref string) bool {
	if id, ok := parseUUID(ref); ok {
		_, found := s.uuids[id]
		return found
	}
	_, found := s.texts[ref]
	return found
}

// markSeen marks the users of the refs in set as seen by the run.
func (u *userIndex) markSeen(set *refSet) {
	for id := range set.uuids {
		if i, ok := u.byUUID[id]; ok {
			u.at(i).seen = true
		}
	}
	for ref := range set.texts {
		if st := u.get(ref); st != nil {
			st.seen = true
		}
	}
}

// packed is a string kept without a pointer: a canonical UUID as its 16
// bytes, anything else as a span of the index's arena, written in them.
type packed struct {
	b    [16]byte
	text bool
}

func (u *userIndex) pack(s string) packed {
	if id, ok := parseUUID(s); ok {
		return packed{b: id}
	}
	sp := u.text.put(s)
	var p packed
	binary.LittleEndian.PutUint32(p.b[0:], sp.chunk)
	binary.LittleEndian.PutUint32(p.b[4:], sp.off)
	binary.LittleEndian.PutUint32(p.b[8:], sp.n)
	p.text = true
	return p
}

func (u *userIndex) unpack(p packed) string {
	if !p.text {
		return formatUUID(p.b)
	}
	return string(u.text.bytes(span{chunk: binary.LittleEndian.Uint32(p.b[0:]), off: binary.LittleEndian.Uint32(p.b[4:]),
		n: binary.LittleEndian.Uint32(p.b[8:])}))
}

// parseUUID reads a UUID in its canonical, lower-case form, the only one
// it can give back unchanged.
func parseUUID(s string) ([16]byte, bool) {
	var id [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
			continue
		}
		hi, ok1 := lowerHex(s[i])
		lo, ok2 := lowerHex(s[i+1])
		if !ok1 || !ok2 {
			return id, false
		}
		id[j] = hi<<4 | lo
		i, j = i+2, j+1
	}
	return id, true
}

func formatUUID(id [16]byte) string { return uuid.UUID(id).String() }

// parseDigest reads a user's hash (32 lower-case hex digits, as
// UserRecord.Hash writes it).
func parseDigest(s string) ([16]byte, bool) {
	var d [16]byte
	if len(s) != 32 {
		return d, false
	}
	for i := range d {
		hi, ok1 := lowerHex(s[2*i])
		lo, ok2 := lowerHex(s[2*i+1])
		if !ok1 || !ok2 {
			return d, false
		}
		d[i] = hi<<4 | lo
	}
	return d, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// span is a run of an arena's bytes.
type span struct{ chunk, off, n uint32 }

// arena holds text in chunks that never move, so that spans stay valid,
// and the collector sees a few large byte slices instead of a string per
// user.
type arena struct{ chunks [][]byte }

const arenaChunk = 64 << 10

func (a *arena) put(s string) span {
	if s == "" {
		return span{}
	}
	last := len(a.chunks) - 1
	if last < 0 || len(a.chunks[last])+len(s) > cap(a.chunks[last]) {
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, len(s))))
		last++
	}
	c := a.chunks[last]
	if last > math.MaxUint32 || len(c)+len(s) > math.MaxUint32 {
		// A directory's entry is bounded far below this (the LDAP
		// reader's limit is 64 MiB): this is a defect.
		panic("sync: the run's text is over 4 GiB")
	}
	sp := span{chunk: uint32(last), off: uint32(len(c)), n: uint32(len(s))} //nolint:gosec // checked above
	a.chunks[last] = append(c, s...)
	return sp
}

func (a *arena) bytes(sp span) []byte {
	if sp.n == 0 {
		return nil
	}
	return a.chunks[sp.chunk][sp.off : sp.off+sp.n]
}
