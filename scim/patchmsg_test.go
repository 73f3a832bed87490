package scim

import (
	"reflect"
	"testing"
)

var patchMessageCases = []string{
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"title","value":"x"},
	  {"op":"add","value":{"name.familyName":"y","emails":[{"value":"a@b.c","primary":true}]}},{"op":"remove","path":"emails[type eq \"work\"]"}]}`,
	`{"SCHEMAS":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"operations":[{"OP":"REPLACE","PATH":"active","VALUE":false}]}`,
	`{"schemas":["other",null,"urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[null,{},{"op":null,"path":null,"value":null}]}`,
	`{"schemas":null,"Operations":null}`, `{"schemas":[],"Operations":[]}`, `{}`, `null`, `[]`, `"x"`, `1`,
	`{"schemas":["urn:ietf:params:\u0073cim:api:messages:2.0:PatchOp"],"Operations":[{"op":"\u0061dd","value":1.50}]}`,
	`{"schemas":["urn:ietf:params:ſcim:api:messages:2.0:PatchOp"],"Operations":[{"op":"ŕeplace","value":1}]}`,
	`{"schemas":"urn:ietf:params:scim:api:messages:2.0:PatchOp","Operations":[]}`,
	`{"schemas":[1],"Operations":[]}`, `{"schemas":[],"Operations":{}}`, `{"schemas":[],"Operations":[1]}`,
	`{"schemas":[],"Operations":[{"op":1}]}`, `{"schemas":[],"Operations":[{"path":true}]}`,
	`{"schemas":[],"Operations":[{"op":"add","op":"remove"}]}`, `{"schemas":[],"schemas":[],"Operations":[]}`,
	`{"schemas":[],"Operations":[],"Operations":[{"op":"add"}]}`, `{"schemas":[],"Operations":[{"op":"add","value":1,"value":2}]}`,
	`{"ſchemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`, `{"s\u0063hemas":[]}`,
	`{"extra":{"deep":[1,2,{"x":null}]},"schemas":[],"Operations":[{"op":"add","other":[],"value":"v"}]}`,
	`{"schemas":[],"Operations":[{"op":"Add","path":"x","value":"\ud800"}]}`, "{\"schemas\":[],\"Operations\":[{\"op\":\"add\",\"path\":\"\xff\"}]}",
	`{"schemas":[], "Operations":[{"op":"add"}]} trailing`, `{"schemas":[`, ``,
}

// TestScanPatchMessageIsUnmarshal holds scanPatchMessage to what it
// replaces, json.Unmarshal into parsePatch's message, for every message it
// takes; the others go to that.
func TestScanPatchMessageIsUnmarshal(t *testing.T) {
	scanned := 0
	for _, c := range patchMessageCases {
		if checkPatchMessage(t, []byte(c)) {
			scanned++
		}
	}
	if scanned < 10 {
		t.Errorf("scanPatchMessage took %d of the messages, want most", scanned)
	}
}

// checkPatchMessage compares the two readings of body, and reports whether
// scanPatchMessage took it.
func checkPatchMessage(t *testing.T, body []byte) bool {
	t.Helper()
	got, ok := scanPatchMessage(body)
	want, err := unmarshalPatchMessage(body)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("scanPatchMessage took %q, which json.Unmarshal refuses: %v", body, err)
	}
	if got.listsURN != want.listsURN || len(got.operations) != len(want.operations) {
		t.Fatalf("scanPatchMessage(%q) = %+v, want %+v", body, got, want)
	}
	for i, g := range got.operations {
		w := want.operations[i]
		var wantValue any
		if len(w.raw) > 0 {
			if err := decodeJSON(w.raw, &wantValue); err != nil {
				t.Fatal(err)
			}
		}
		gotOp, wantOp := patchOpName(g.op), patchOpName(w.op)
		if gotOp == "" {
			gotOp, wantOp = g.op, w.op
		}
		if gotOp != wantOp || g.path != w.path || !g.decoded && g.value != nil || !reflect.DeepEqual(g.value, wantValue) {
			t.Fatalf("scanPatchMessage(%q): operation %d = %+v, want %+v (value %#v)", body, i, g, w, wantValue)
		}
	}
	return true
}

func FuzzPatchMessage(f *testing.F) {
	for _, c := range patchMessageCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkPatchMessage(t, body) })
}
