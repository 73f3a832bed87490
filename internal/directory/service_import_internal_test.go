package directory

import (
	"reflect"
	"testing"
	"time"
)

// fill sets every field of v, recursively, to a value that is not zero.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("v" + string(rune('a'+*n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(int64(*n), 0)))
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
		for _, val := range []any{"text", 2.5, true, "", 0.0, false} {
			*n++
			v.SetMapIndex(reflect.ValueOf("p"+string(rune('a'+*n%26))), reflect.ValueOf(val))
		}
	default:
		panic("fill: " + v.Kind().String())
	}
}

// createChanges is diffFields(nil, userAuditFields(u)), for any user.
func TestCreateChanges(t *testing.T) {
	var full User
	n := 0
	fill(reflect.ValueOf(&full).Elem(), &n)
	emptySlices := User{UserName: "a@b.c", Emails: []Email{}, Profile: Profile{Addresses: []Address{}}, Properties: map[string]any{}}
	onlyProfile := User{Profile: Profile{Locale: "fr"}}
	for name, u := range map[string]*User{"every field": &full, "none": {}, "empty slices": &emptySlices, "profile": &onlyProfile} {
		want := diffFields(nil, userAuditFields(u))
		got := createChanges(u)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", name, got, want)
		}
	}
	if len(createChanges(&full)) < 17 {
		t.Errorf("a full user: %d changes", len(createChanges(&full)))
	}
}
