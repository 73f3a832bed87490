package sqlstore

import (
	"slices"
	"testing"
)

// viaTuples is what flatTuples must return: tuples' values, read by str
// and truthy.
func viaTuples(b []byte, width int) ([]string, []bool, error) {
	rows, err := tuples(b, width)
	if err != nil {
		return nil, nil, err
	}
	var strs []string
	var bools []bool
	for _, r := range rows {
		for _, v := range r {
			strs, bools = append(strs, str(v)), append(bools, truthy(v))
		}
	}
	return strs, bools, nil
}

func checkFlatTuples(t *testing.T, in string, width int) {
	t.Helper()
	wantS, wantB, wantErr := viaTuples([]byte(in), width)
	vals, err := flatTuples([]byte(in), width)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, tuples' %v", in, err, wantErr)
	}
	var gotS []string
	var gotB []bool
	for _, v := range vals {
		gotS, gotB = append(gotS, v.str()), append(gotB, v.truthy())
	}
	if !slices.Equal(gotS, wantS) || !slices.Equal(gotB, wantB) {
		t.Fatalf("%q:\n got %q %v\nwant %q %v", in, gotS, gotB, wantS, wantB)
	}
}

var tupleInputs = []string{
	``, `null`, `[]`, `{}`, ` [ ] `, `[ ]x`,
	// SQLite's json_group_array(json_array(…)) and PostgreSQL's
	// json_agg(json_build_array(…)).
	`[["ada@acme.example","work",1,null]]`,
	`[["ada@acme.example", "work", true, null], ` + "\n" + ` ["b@acme.example", null, false, "Home"]]`,
	`[["a","b",0,"c"],["d","e",1,"f"],["g","h",2.5,"i"]]`,
	`[["Zoë","李小龙",1,"🎉"]]`, `[["bad \xff utf8","x",1,"y"]]`,
	`[["esc \"q\" \\ \/ \u00e9 \ud83c\udf89","t",1,"d"]]`, `[["ctl` + "\x01" + `","t",1,"d"]]`,
	`[["<&>","t",-0,"d"]]`, `[["n","t",1e3,"d"]]`, `[["n","t",-1.5E-2,"d"]]`, `[["n","t",1e400,"d"]]`,
	`[["n","t",01,"d"]]`, `[["n","t",+1,"d"]]`, `[["n","t",.5,"d"]]`, `[["n","t",1.,"d"]]`, `[["n","t",-,"d"]]`,
	`[["a","b",1]]`, `[["a","b",1,"c","e"]]`, `[[]]`, `[["a","b",1,"c"],]`, `[["a","b",1,"c"]`, `[["a","b",1,"c"]]]`,
	`[["a","b",[1],"c"]]`, `[["a","b",{"x":1},"c"]]`, `[["a","b",tru,"c"]]`, `[["a","b",nul,"c"]]`, `[["a,"b",1,"c"]]`,
	`[["a","b",1,"c"] ["d","e",1,"f"]]`, `{"a":1}`, `"text"`, `[1,2]`, `[["unterminated`,
}

func TestFlatTuplesReadsAsTuples(t *testing.T) {
	for _, in := range tupleInputs {
		checkFlatTuples(t, in, 4)
	}
	checkFlatTuples(t, `[["role","admin","t",1,"Admin"],["entitlement","crm",null,0,null]]`, 5)
}

// The scalars databases write are read without the generic decoder.
func TestFlatTuplesAllocations(t *testing.T) {
	in := []byte(`[["ada@acme.example", "work", true, null], ["b@acme.example", null, false, "Home"]]`)
	if n := testing.AllocsPerRun(100, func() { _, _ = flatTuples(in, 4) }); n > 5 {
		t.Errorf("%v allocations for two emails, want at most 5 (the values and four strings)", n)
	}
}

func FuzzFlatTuples(f *testing.F) {
	for _, in := range tupleInputs {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) { checkFlatTuples(t, in, 4) })
}
