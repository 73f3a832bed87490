package scim

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// decoded is what a json.Decoder with UseNumber makes of data.
func decoded(data []byte) (any, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	err := d.Decode(&v)
	return v, err
}

var decodeAnyCases = []string{
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","externalId":"bj",
	  "name":{"givenName":"Barbara","familyName":"Jensen"},"active":true,"emails":[{"value":"b@example.com","type":"work","primary":true}]}`,
	`{}`, `[]`, `[[],[{}],{"a":[]}]`, `null`, `true`, `false`, `0`, `-1.5e+10`, `1E-2`, `123456789012345678901234567890`,
	`""`, `"plain"`, `"esc\"aped\\ \/ \b\f\n\r\t"`, `"\u00e9\u2028\ud83d\ude00"`, `"\ud800 lone surrogate"`,
	`"Zoë 日本"`, "\"invalid \xff utf-8\"", "\"\xed\xa0\x80 encoded surrogate\"", "\"\xef\xbf\xbd replacement\"",
	` { "a" : 1 , "b" : [ 1 , 2 , 3 ] , "a" : "last wins" } `, "\t\n\r[1]\n",
	`{"Operations":[{"op":"Replace","path":"title","value":"x"},{"op":"add","value":{"name.familyName":"y","emails":[]}}]}`,
	`{"k\u0065y":"escaped key","userName":null,"` + "\xff" + `":1}`,
	// Not valid: the decoder's errors, or its first value.
	``, ` `, `{`, `{"a":}`, `[1,]`, `{} {}`, `{"a":1} trailing`, `nul`, `"unterminated`, `01`, `{"a" 1}`,
}

// TestDecodeAnyIsTheDecoders holds decodeAny to what it replaces.
func TestDecodeAnyIsTheDecoders(t *testing.T) {
	for _, c := range decodeAnyCases {
		checkDecodeAny(t, []byte(c))
	}
}

func checkDecodeAny(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := decoded(data)
	got, err := decodeAny(data)
	if (err != nil) != (wantErr != nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("decodeAny(%q): error %v, want %v", data, err, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeAny(%q) = %#v, want %#v", data, got, want)
	}
}

func FuzzDecodeAny(f *testing.F) {
	for _, c := range decodeAnyCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecodeAny(t, data) })
}

func TestDecodeAnySharesKeys(t *testing.T) {
	body := []byte(`{"userName":"a","emails":[{"value":"b","type":"work"}]}`)
	if n := testing.AllocsPerRun(10, func() { _, _ = decodeAny(body) }); n > 12 {
		t.Errorf("decodeAny allocates %v times, want at most 12", n)
	}
}
