package sqlstore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// TestInsertEmailsStatement holds the emails' insert, made once for the
// usual counts, to the placeholders its arguments take, in order.
func TestInsertEmailsStatement(t *testing.T) {
	for n := 1; n <= 25; n++ {
		args := sqlbuild.Args{"user"}
		rows := make([]string, n)
		for i := range rows {
			ph := make([]string, emailColumns)
			for j := range ph {
				ph[j] = args.Add(j)
			}
			rows[i] = "($1, " + strings.Join(ph, ", ") + ")"
		}
		want := "INSERT INTO user_emails (user_id, ordinal, value, value_lower, type, type_lower, is_primary, display) VALUES " +
			strings.Join(rows, ", ")
		if got := insertEmailsStatement(n); got != want {
			t.Errorf("insertEmailsStatement(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestEmptyProfile holds emptyProfile, which spares most users' rows the
// profile's encoding, to it: true only for a profile that encodes as {},
// false once any one field is set.
func TestEmptyProfile(t *testing.T) {
	for _, p := range []directory.Profile{{}, {PhoneNumbers: []directory.PhoneNumber{}, Addresses: []directory.Address{}}} {
		if b, err := json.Marshal(p); err != nil || string(b) != "{}" || !emptyProfile(&p) {
			t.Errorf("%+v encodes as %s (%v), emptyProfile %v", p, b, err, emptyProfile(&p))
		}
	}
	typ := reflect.TypeFor[directory.Profile]()
	for i := range typ.NumField() {
		var p directory.Profile
		f := reflect.ValueOf(&p).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		default:
			t.Fatalf("Profile.%s is a %s, which emptyProfile does not know", typ.Field(i).Name, f.Kind())
		}
		if emptyProfile(&p) {
			t.Errorf("emptyProfile is true with Profile.%s set", typ.Field(i).Name)
		}
	}
}

// TestTimeArgsAreTheDialects holds timeArgs, which encodes a recurring
// time once, to the dialect's encodings of each time.
func TestTimeArgsAreTheDialects(t *testing.T) {
	now := time.Now() // with a monotonic reading
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	times := []*time.Time{&now, nil, new(now.In(paris)), new(now.Round(0)), new(now.Add(time.Nanosecond)),
		new(now.Add(time.Microsecond)), new(time.Time{}), &now, nil}
	for _, d := range []sqlbuild.Dialect{sqlbuild.SQLite, sqlbuild.Postgres} {
		a := timeArgs{d: d}
		for i, tm := range times {
			if got, want := a.null(tm), d.NullTime(tm); !reflect.DeepEqual(got, want) {
				t.Errorf("%v: null(times[%d]) = %#v, want %#v", d, i, got, want)
			}
			if tm == nil {
				continue
			}
			if got, want := a.zeroNull(*tm), d.ZeroNullTime(*tm); !reflect.DeepEqual(got, want) {
				t.Errorf("%v: zeroNull(times[%d]) = %#v, want %#v", d, i, got, want)
			}
			if got, want := a.time(*tm), d.Time(*tm); !reflect.DeepEqual(got, want) {
				t.Errorf("%v: time(times[%d]) = %#v, want %#v", d, i, got, want)
			}
		}
	}
}
