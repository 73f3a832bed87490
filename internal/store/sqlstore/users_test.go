package sqlstore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

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
