package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/jsonenc"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// unnestRows is how many rows one PostgreSQL unnest insert writes.
const unnestRows = 1000

// The PostgreSQL forms of the multi-row inserts of users and audit events:
// INSERT … SELECT FROM unnest($1::text[], $2::text[], …), one array per
// column. A statement of 500 users of 39 values costs pgx 19,500
// parameters to encode and the server as many to bind; this one, 39
// arrays, which userArrays and auditArrays build. A text column whose
// rows all hold the same value (the organization, the actor, most of an
// import's empty attributes) travels as that one value.
var (
	usersUnnest = newUnnestInsert(insertUser)
	auditUnnest = newUnnestInsert(insertAudit)
)

// unnestTypes are the types of the bulk-inserted columns that are not
// text; jsonb columns travel as text. A column added to insertUser or
// insertAudit needs its place in userArrays or auditArrays too, which
// TestUnnestArrays checks.
var unnestTypes = map[string]string{
	"profile": "jsonb", "properties": "jsonb", "changes": "jsonb",
	"status_changed_at": "timestamptz", "last_login_at": "timestamptz", "activated_at": "timestamptz", "locked_until": "timestamptz",
	"created_at": "timestamptz", "updated_at": "timestamptz", "deleted_at": "timestamptz", "occurred_at": "timestamptz",
	"failed_logins": "bigint", "version": "bigint", "has_grants": "boolean",
}

// unnestInsert is the unnest form of "INSERT INTO t (a, b) VALUES ($1,
// $2)": the same columns in the same order, $n the n-th column's array,
// or its one value.
type unnestInsert struct {
	head  string   // "INSERT INTO t (a, b)"
	names []string // the columns
	types []string // their types, "" for text

	mu    sync.Mutex
	stmts map[uint64]string // the columns given one value → statement
}

// maxUnnestStatements bounds the statements an unnestInsert keeps: an
// import's batches mostly share one.
const maxUnnestStatements = 64

func newUnnestInsert(insert string) *unnestInsert {
	head, _, _ := strings.Cut(insert, "VALUES")
	u := &unnestInsert{head: strings.TrimSpace(head), stmts: map[uint64]string{}}
	for n := range strings.SplitSeq(head[strings.Index(head, "(")+1:strings.LastIndex(head, ")")], ",") {
		n = strings.TrimSpace(n)
		u.names = append(u.names, n)
		u.types = append(u.types, unnestTypes[n])
	}
	if len(u.names) > 64 {
		panic("sqlstore: an unnest insert's columns are a uint64's bits")
	}
	return u
}

// sql returns the statement whose columns in single (bit i for the i-th)
// are given one value each, the others an array; at least one column must
// be an array, which gives the statement its rows.
func (u *unnestInsert) sql(single uint64) string {
	u.mu.Lock()
	s, ok := u.stmts[single]
	u.mu.Unlock()
	if ok {
		return s
	}
	sel := make([]string, len(u.names))
	var arrays, names []string
	for i, n := range u.names {
		p, typ := "$"+strconv.Itoa(i+1), cmp.Or(u.types[i], "text")
		if u.types[i] == "jsonb" {
			typ = "text" // travels as text, cast below
		}
		if single&(1<<i) != 0 {
			sel[i] = p + "::" + typ
		} else {
			sel[i] = n
			arrays = append(arrays, p+"::"+typ+"[]")
			names = append(names, n)
		}
		if u.types[i] == "jsonb" {
			sel[i] += "::jsonb"
		}
	}
	s = u.head + "\nSELECT " + strings.Join(sel, ", ") +
		"\nFROM unnest(" + strings.Join(arrays, ", ") + ") AS t(" + strings.Join(names, ", ") + ")"
	u.mu.Lock()
	if len(u.stmts) < maxUnnestStatements {
		u.stmts[single] = s
	}
	u.mu.Unlock()
	return s
}

// userArrays returns the arguments of usersUnnest: the values userArgs
// gives each user, then its creation time and version, one array per
// column. Text travels as an array's text (see textArray).
func userArrays(users []*directory.User) ([]any, uint64, error) {
	// The text columns, in column order (see userInsertColumns): the head
	// and the catalogue's text columns, profile to status_set_by_id, then
	// status_before_delete, status_before_delete_set_by and password_hash.
	nCat := len(textAttributes)
	gap := len(userHeadColumns) + nCat + 9 // status_changed_at
	propsAt := len(userHeadColumns) + nCat + 1
	text := make([]textArray, gap+3)
	n := len(users)
	for j := range text {
		text[j].rows = n
	}
	statusChanged, lastLogin, activated, lockedUntil := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
	updated, deleted, created := make([]time.Time, n), make([]*time.Time, n), make([]time.Time, n)
	failed, version := make([]int64, n), make([]int64, n)
	grants := make([]bool, n)
	var props []byte
	vals := make([]string, 0, len(text))
	for i, u := range users {
		profile := "{}"
		if !emptyProfile(&u.Profile) {
			var err error
			if profile, err = marshal(u.Profile); err != nil {
				return nil, 0, err
			}
		}
		props = props[:0]
		if len(u.Properties) == 0 {
			props = append(props, "{}"...)
		} else {
			var err error
			if props, err = jsonenc.AppendObject(props, u.Properties); err != nil {
				return nil, 0, err
			}
		}
		vals = append(vals[:0],
			u.ID, u.OrgID,
			u.UserName, strings.ToLower(u.UserName), string(u.Source), u.SourceRef,
			u.Email, strings.ToLower(u.Email), u.Enterprise.ManagerID)
		for _, a := range textAttributes {
			vals = append(vals, *a.Text(u))
		}
		vals = append(vals,
			profile, "", string(u.Role), roleSetBy(u), string(u.AuthMethod),
			string(u.Status), u.StatusReason, string(u.StatusSetBy), u.StatusSetByID,
			string(u.StatusBeforeDelete), string(u.StatusBeforeDeleteSetBy),
			u.PasswordHash)
		for j, v := range vals {
			if j == propsAt {
				text[j].addBytes(props)
				continue
			}
			text[j].add(v)
		}
		if !u.StatusChangedAt.IsZero() {
			statusChanged[i] = utcMicro(&u.StatusChangedAt)
		}
		failed[i] = int64(u.FailedLogins)
		lastLogin[i], activated[i], lockedUntil[i] = utcMicro(u.LastLoginAt), utcMicro(u.ActivatedAt), utcMicro(u.LockedUntil)
		updated[i], deleted[i] = sqlbuild.UTCMicro(u.UpdatedAt), utcMicro(u.DeletedAt)
		created[i], version[i] = sqlbuild.UTCMicro(u.CreatedAt), u.Version
		grants[i] = hasGrants(u)
	}
	args := make([]any, len(userInsertColumns))
	single := placeText(args, text, gap)
	args[gap] = statusChanged
	copy(args[gap+4:], []any{failed, lastLogin, activated, lockedUntil, updated, deleted, grants, created, version})
	return args, single, nil
}

// auditArrays returns the arguments of auditUnnest for events, setting
// their ids and request ids as auditRow does.
func auditArrays(ctx context.Context, events []*directory.AuditEvent) ([]any, uint64, error) {
	var text [10]textArray // the columns but occurred_at
	for j := range text {
		text[j].rows = len(events)
	}
	times := make([]time.Time, len(events))
	var changes []byte
	for i, e := range events {
		setID(&e.ID)
		e.Time = sqlbuild.UTCMicro(e.Time)
		if e.RequestID == "" {
			e.RequestID = directory.RequestID(ctx)
		}
		changes = changes[:0]
		if len(e.Changes) == 0 {
			changes = append(changes, "{}"...)
		} else {
			var err error
			if changes, err = appendChangesIn(changes, e.Changes, false); err != nil {
				return nil, 0, directory.Internal(err)
			}
		}
		times[i] = e.Time
		for j, v := range [...]string{e.ID, e.OrgID, string(e.ActorKind), e.ActorID, e.ActorName, e.Action, e.TargetKind, e.TargetID, "", e.RequestID} {
			if j == 8 {
				text[j].addBytes(changes)
				continue
			}
			text[j].add(v)
		}
	}
	args := make([]any, 11)
	single := placeText(args, text[:], 2) // occurred_at is the 3rd column
	args[2] = times
	return args, single, nil
}

// placeText puts the text columns into args in order, leaving out index
// gap (a column the caller fills, as those after the text ones), and
// returns the bits of the columns given one value (see
// unnestInsert.sql). The first column, the ids, is always an array: the
// statement needs one for its rows.
func placeText(args []any, text []textArray, gap int) uint64 {
	var single uint64
	for j := range text {
		at := j
		if j >= gap {
			at++
		}
		if at == 0 {
			args[at] = text[j].array()
			continue
		}
		var one bool
		if args[at], one = text[j].value(); one {
			single |= 1 << at
		}
	}
	return single
}

func utcMicro(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := sqlbuild.UTCMicro(*t)
	return &u
}

// textArray builds the text of a PostgreSQL text array, which pgx sends
// as it is: it encodes a []string element by element, at several times
// the cost. Every element is quoted, so that none reads as NULL. While
// every element is the same, it holds the first only.
type textArray struct {
	buf   []byte
	rows  int    // how many elements it will hold, to size buf by the first
	n     int    // elements added
	first string // the first element
	mixed bool   // the elements differ, and buf holds them
}

func (a *textArray) add(s string) { addElement(a, s) }

// addBytes adds an element held as bytes (an encoded JSON document)
// without making a string of it.
func (a *textArray) addBytes(s []byte) { addElement(a, s) }

func addElement[S string | []byte](a *textArray, s S) {
	if !a.mixed {
		if a.n == 0 {
			a.first = string(s)
		}
		if string(s) == a.first {
			a.n++
			return
		}
		a.spell()
	}
	a.n++
	a.buf = appendQuoted(append(a.buf, ','), s)
}

// spell writes out the elements held as the first: the next differs.
func (a *textArray) spell() {
	a.mixed = true
	q := appendQuoted(nil, a.first)
	// Room for rows elements like the first, a quarter over.
	a.buf = slices.Grow(a.buf, max(a.rows, a.n+1)*(len(q)+1)*5/4+2)
	a.buf = append(a.buf, '{')
	for i := range a.n {
		if i > 0 {
			a.buf = append(a.buf, ',')
		}
		a.buf = append(a.buf, q...)
	}
}

// value ends the array and returns its text, or its one value when every
// element is the same (one); nothing may be added after.
func (a *textArray) value() (v string, one bool) {
	switch {
	case a.n == 0:
		return "{}", false
	case !a.mixed:
		return a.first, true
	}
	return string(append(a.buf, '}')), false
}

// array ends the array and returns its text, every element spelled out.
func (a *textArray) array() string {
	if a.n > 0 && !a.mixed {
		a.spell()
	}
	v, _ := a.value()
	return v
}

// appendQuoted appends s quoted as an element of an array's text.
func appendQuoted[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	from := 0
	for i := range len(s) {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(append(b, s[from:i]...), '\\')
			from = i
		}
	}
	return append(append(b, s[from:]...), '"')
}
