package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// appendChanges writes what json.Marshal writes, byte for byte.
func TestAppendChangesIsJSONMarshal(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	values := []any{
		nil, "", "plain", "Jane <jane@example.com> & co", "quote \" and \\ backslash", "tab\tnew\nline",
		"unicode é ü 日本", "\u2028\u2029", "bad \xff utf-8", "\x7f",
		directory.RoleOrgAdmin, directory.AuthSSO, directory.StatusPending, directory.SourceImport, directory.AuthorityImport,
		true, false, 0, -7, int64(1) << 60, 0.0, 1.5, -2.25, 7.0, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.Copysign(0, -1),
		now, &now, (*time.Time)(nil), []string{"a"}, map[string]any{"b": 1},
		directory.Enterprise{Department: "Dept <1>"}, directory.Profile{}, []directory.Email{{Value: "a@b.c", Primary: true}},
	}
	changes := map[string]directory.Change{}
	for i, v := range values {
		key := strings.Repeat("k", i%3) + string(rune('a'+i%26)) + strings.Repeat("z", i/26)
		changes[key] = directory.Change{Before: v, After: values[len(values)-1-i]}
		changes[key+".after"] = directory.Change{After: v}
		changes[key+".before"] = directory.Change{Before: v}
	}
	changes["<html & key>"] = directory.Change{After: "x"}
	changes["empty"] = directory.Change{}
	for name, c := range map[string]map[string]directory.Change{"all": changes, "one": {"userName": {After: "a@b.c"}}, "none": {}} {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendChanges(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		// For a jsonb column, the keys may come in any order.
		unsorted, err := appendChangesIn(nil, c, false)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := json.Unmarshal(unsorted, &a); err != nil {
			t.Fatalf("%s: %v in %s", name, err, unsorted)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s, unsorted:\n got %s\nwant %s", name, unsorted, want)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), func() {}} {
		if _, err := appendChanges(nil, map[string]directory.Change{"x": {After: bad}}); err == nil {
			t.Errorf("%v encoded, want an error as json.Marshal gives", bad)
		}
	}
}

// The unnest form of a bulk insert lists the one-row statement's columns,
// each from its array or, for those given one value, from that value.
func TestUnnestInsert(t *testing.T) {
	head, _, _ := strings.Cut(insertAudit, "VALUES")
	all := auditUnnest.sql(0)
	for _, part := range []string{strings.TrimSpace(head) + "\nSELECT id, org_id, ", " changes::jsonb, ", "FROM unnest($1::text[], $2::text[], $3::timestamptz[], ", " AS t(id, org_id, occurred_at, "} {
		if !strings.Contains(all, part) {
			t.Errorf("%q is not in\n%s", part, all)
		}
	}
	one := auditUnnest.sql(1<<1 | 1<<9) // org_id, changes
	for _, part := range []string{"\nSELECT id, $2::text, occurred_at, ", " $10::text::jsonb, ", "FROM unnest($1::text[], $3::timestamptz[], $4::text[], ", " AS t(id, occurred_at, actor_kind, "} {
		if !strings.Contains(one, part) {
			t.Errorf("%q is not in\n%s", part, one)
		}
	}
	if auditUnnest.sql(1<<1|1<<9) != one || auditUnnest.sql(0) != all {
		t.Error("a statement changed")
	}
}

// fill sets every field of v, recursively, to a value that is not zero and
// differs from the others.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("v%d \"q\" \\ <&>", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(int64(*n), 1234567).In(time.FixedZone("x", 3600))))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(v.Index(0), n)
		fill(v.Index(1), n)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		if v.Type().Elem().Kind() != reflect.Interface {
			for range 3 {
				e := reflect.New(v.Type().Elem()).Elem()
				fill(e, n)
				v.SetMapIndex(reflect.ValueOf(fmt.Sprintf("k%d", *n)), e)
			}
			return
		}
		for _, val := range []any{"text", 2.5, true, "", 0.0, false, "a\"b"} {
			*n++
			v.SetMapIndex(reflect.ValueOf(fmt.Sprintf("p%d", *n)), reflect.ValueOf(val))
		}
	case reflect.Interface:
		v.Set(reflect.ValueOf(fmt.Sprintf("i%d", *n)))
	default:
		panic("fill: " + v.Kind().String())
	}
}

// arrays transposes rows of a one-row statement's arguments into what the
// unnest form takes: a text array's text, or a slice, or, for a text
// column but the first whose rows are the same, the value (a bit of the
// mask returned).
func arrays(t *testing.T, rows [][]any) ([]any, uint64) {
	t.Helper()
	var cols []any
	var single uint64
	for j := range rows[0] {
		var text textArray
		var times []*time.Time
		var ints []int64
		var bools []bool
		for _, r := range rows {
			switch v := r[j].(type) {
			case string:
				text.add(v)
			case time.Time:
				times = append(times, &v)
			case nil:
				times = append(times, nil)
			case int:
				ints = append(ints, int64(v))
			case int64:
				ints = append(ints, v)
			case bool:
				bools = append(bools, v)
			default:
				t.Fatalf("column %d: a %T", j+1, v)
			}
		}
		switch {
		case times != nil && slices.Contains(times, nil):
			cols = append(cols, times)
		case times != nil:
			// A column without NULLs is a slice of values.
			values := make([]time.Time, len(times))
			for i, t := range times {
				values[i] = *t
			}
			cols = append(cols, values)
		case ints != nil:
			cols = append(cols, ints)
		case bools != nil:
			cols = append(cols, bools)
		case j == 0:
			cols = append(cols, text.array())
		default:
			v, one := text.value()
			if one {
				single |= 1 << j
			}
			cols = append(cols, v)
		}
	}
	return cols, single
}

// userArrays and auditArrays give the values of insertUser and insertAudit:
// the one-row statements' columns, in their order.
func TestUnnestArrays(t *testing.T) {
	var full directory.User
	n := 0
	fill(reflect.ValueOf(&full).Elem(), &n)
	bare := directory.User{ID: "u2", UserName: "Bare@Example.com", CreatedAt: time.Unix(5, 0)}
	users := []*directory.User{&full, &bare}
	var rows [][]any
	for _, u := range users {
		roundTimes(u)
		a, err := userArgs(sqlbuild.Postgres, u)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, append(a, sqlbuild.Postgres.Time(u.CreatedAt), u.Version))
	}
	got, single, err := userArrays(users)
	if err != nil {
		t.Fatal(err)
	}
	if want, wantSingle := arrays(t, rows); !reflect.DeepEqual(got, want) || single != wantSingle {
		t.Errorf("users:\n got %v %b\nwant %v %b", got, single, want, wantSingle)
	}
	if c := strings.Count(usersUnnest.sql(0), "$"); c != len(got) {
		t.Errorf("users: %d arrays for %d parameters", len(got), c)
	}

	var event directory.AuditEvent
	fill(reflect.ValueOf(&event).Elem(), &n)
	// One change, whose JSON has one order of keys (see
	// TestAppendChangesIsJSONMarshal for more).
	event.Changes = map[string]directory.Change{"role": {Before: directory.RoleUser, After: "x\"y"}}
	bareEvent := directory.AuditEvent{OrgID: "o", Time: time.Unix(7, 0)}
	events := []*directory.AuditEvent{&event, &bareEvent}
	ctx := directory.WithRequestID(context.Background(), "req")
	gotEvents, singleEvents, err := auditArrays(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	rows = nil
	for _, e := range events {
		r, err := auditRow(ctx, sqlbuild.Postgres, e)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if want, wantSingle := arrays(t, rows); !reflect.DeepEqual(gotEvents, want) || singleEvents != wantSingle {
		t.Errorf("audit events:\n got %v %b\nwant %v %b", gotEvents, singleEvents, want, wantSingle)
	}
	if c := strings.Count(auditUnnest.sql(0), "$"); c != len(gotEvents) {
		t.Errorf("audit events: %d arrays for %d parameters", len(gotEvents), c)
	}
	if bareEvent.ID == "" || bareEvent.RequestID != "req" {
		t.Errorf("event given no id or request id: %+v", bareEvent)
	}
}

// An array's text quotes every element and escapes quotes and backslashes;
// an array of one value repeated is that value.
func TestTextArray(t *testing.T) {
	var empty textArray
	if v, one := empty.value(); v != "{}" || one {
		t.Errorf("empty: %s, %t", v, one)
	}
	var a textArray
	for _, s := range []string{"", "", "NULL", `a"b\c`, "{x,y}", "日本"} {
		a.add(s)
	}
	if got, one := a.value(); got != `{"","","NULL","a\"b\\c","{x,y}","日本"}` || one {
		t.Errorf("got %s, %t", got, one)
	}
	var same, spelled textArray
	for range 3 {
		same.addBytes([]byte(`say "hi"`))
		spelled.add(`say "hi"`)
	}
	if got, one := same.value(); got != `say "hi"` || !one {
		t.Errorf("one value: %s, %t", got, one)
	}
	if got := spelled.array(); got != `{"say \"hi\"","say \"hi\"","say \"hi\""}` {
		t.Errorf("spelled out: %s", got)
	}
	var late textArray
	for _, s := range []string{"x", "x", "y"} {
		late.addBytes([]byte(s))
	}
	if got, _ := late.value(); got != `{"x","x","y"}` {
		t.Errorf("differing late: %s", got)
	}
}
