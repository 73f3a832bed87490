package sqlbuild

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

func TestWhere(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6007008, time.FixedZone("X", 3600))
	for _, tc := range []struct {
		name string
		d    Dialect
		f    directory.Expr
		sql  string
		args []any
	}{
		{
			"a folded column compares to the lower-cased value", Postgres,
			directory.Eq(directory.UserUserName, "Bob@X.com"),
			"u.user_name_lower = $1", []any{"bob@x.com"},
		},
		{
			"other case-insensitive columns are lower-cased", SQLite,
			directory.Compare{Attr: directory.UserDisplayName, Op: directory.OpGe, Value: "Bob"},
			"lower(u.display_name) >= $1", []any{"bob"},
		},
		{
			"case-exact columns compare as they are", Postgres,
			directory.Eq(directory.UserExternalID, "AbC"),
			"u.external_id = $1", []any{"AbC"},
		},
		{
			"co is LIKE with its wildcards escaped", Postgres,
			directory.Compare{Attr: directory.UserTitle, Op: directory.OpCo, Value: `50%_\x`},
			`lower(u.title) LIKE $1 ESCAPE '\'`, []any{`%50\%\_\\x%`},
		},
		{
			"co on a searched column in SQLite is narrowed by users_search", SQLite,
			directory.Compare{Attr: directory.UserFamilyName, Op: directory.OpCo, Value: `Ö"%_x`},
			`(lower(u.family_name) LIKE $1 ESCAPE '\' AND u.rowid IN (SELECT rowid FROM users_search WHERE users_search MATCH $2))`,
			[]any{`%ö"\%\_x%`, `family_name : "ö""%_x"`},
		},
		{
			"the users search in SQLite is one lookup of users_search, then the Or", SQLite,
			directory.Or{
				directory.Compare{Attr: directory.UserGivenName, Op: directory.OpCo, Value: "Hop"},
				directory.Compare{Attr: directory.UserEmail, Op: directory.OpCo, Value: "hOP"},
			},
			`u.rowid IN (SELECT rowid FROM users_search WHERE users_search MATCH $1) AND ((lower(u.given_name) LIKE $2 ESCAPE '\') OR (u.email_lower LIKE $3 ESCAPE '\'))`,
			[]any{`{given_name email_lower} : "hop"`, `%hop%`, `%hop%`},
		},
		{
			"an Or of different texts is narrowed per column", SQLite,
			directory.Or{
				directory.Compare{Attr: directory.UserGivenName, Op: directory.OpCo, Value: "abc"},
				directory.Compare{Attr: directory.UserEmail, Op: directory.OpCo, Value: "xyz"},
			},
			`((lower(u.given_name) LIKE $1 ESCAPE '\' AND u.rowid IN (SELECT rowid FROM users_search WHERE users_search MATCH $2))) OR ((u.email_lower LIKE $3 ESCAPE '\' AND u.rowid IN (SELECT rowid FROM users_search WHERE users_search MATCH $4)))`,
			[]any{`%abc%`, `given_name : "abc"`, `%xyz%`, `email_lower : "xyz"`},
		},
		{
			"co of fewer than three characters in SQLite is the LIKE alone", SQLite,
			directory.Compare{Attr: directory.UserEmail, Op: directory.OpCo, Value: "ÉX"},
			`u.email_lower LIKE $1 ESCAPE '\'`, []any{`%éx%`},
		},
		{
			"co on a searched column in PostgreSQL is narrowed by the search index's expression", Postgres,
			directory.Compare{Attr: directory.UserGivenName, Op: directory.OpCo, Value: "Grace"},
			`(lower(u.given_name) LIKE $1 ESCAPE '\' AND ` + pgSearchText + ` LIKE $2 ESCAPE '\')`, []any{`%grace%`, `%grace%`},
		},
		{
			"sw and ew on a searched column in PostgreSQL are narrowed by the text anywhere", Postgres,
			directory.And{
				directory.Compare{Attr: directory.UserUserName, Op: directory.OpSw, Value: "Ada_"},
				directory.Compare{Attr: directory.UserEmail, Op: directory.OpEw, Value: "@Example.com"},
			},
			`((u.user_name_lower LIKE $1 ESCAPE '\' AND ` + pgSearchText + ` LIKE $2 ESCAPE '\')) AND ((u.email_lower LIKE $3 ESCAPE '\' AND ` + pgSearchText + ` LIKE $4 ESCAPE '\'))`,
			[]any{`ada\_%`, `%ada\_%`, `%@example.com`, `%@example.com%`},
		},
		{
			"the users search in PostgreSQL is one LIKE over the search index's expression, then the Or", Postgres,
			directory.Or{
				directory.Compare{Attr: directory.UserFamilyName, Op: directory.OpCo, Value: "Hop"},
				directory.Compare{Attr: directory.UserUserName, Op: directory.OpCo, Value: "hOP"},
			},
			pgSearchText + ` LIKE $1 ESCAPE '\' AND ((lower(u.family_name) LIKE $2 ESCAPE '\') OR (u.user_name_lower LIKE $3 ESCAPE '\'))`,
			[]any{`%hop%`, `%hop%`, `%hop%`},
		},
		{
			"co of fewer than three characters in PostgreSQL is the LIKE alone", Postgres,
			directory.Compare{Attr: directory.UserFamilyName, Op: directory.OpCo, Value: "Hö"},
			`lower(u.family_name) LIKE $1 ESCAPE '\'`, []any{`%hö%`},
		},
		{
			"case-exact sw is LIKE in PostgreSQL", Postgres,
			directory.Compare{Attr: directory.UserExternalID, Op: directory.OpSw, Value: "A_"},
			`u.external_id LIKE $1 ESCAPE '\'`, []any{`A\_%`},
		},
		{
			"case-exact ew is GLOB in SQLite", SQLite,
			directory.Compare{Attr: directory.UserExternalID, Op: directory.OpEw, Value: "a*?[b]"},
			"u.external_id GLOB $1", []any{"*a[*][?][[]b]"},
		},
		{
			"pr on text is not empty", SQLite,
			directory.Compare{Attr: directory.UserTitle, Op: directory.OpPr},
			"u.title <> ''", nil,
		},
		{
			"times are UTC microseconds, as text in SQLite", SQLite,
			directory.Compare{Attr: directory.UserCreated, Op: directory.OpLt, Value: t0},
			"u.created_at < $1", []any{"2025-01-02T02:04:05.006007Z"},
		},
		{
			"times are time.Time in PostgreSQL", Postgres,
			directory.Compare{Attr: directory.UserCreated, Op: directory.OpLt, Value: "2025-01-02T03:04:05.006007008+01:00"},
			"u.created_at < $1", []any{time.Date(2025, 1, 2, 2, 4, 5, 6007000, time.UTC)},
		},
		{
			"nullable comparisons are two-valued", Postgres,
			directory.Not{X: directory.Compare{Attr: directory.UserLastLogin, Op: directory.OpGt, Value: t0}},
			"NOT ((u.last_login_at IS NOT NULL AND u.last_login_at > $1))", []any{t0.UTC().Truncate(time.Microsecond)},
		},
		{
			"ne on a nullable column matches NULL", Postgres,
			directory.Compare{Attr: directory.UserLastLogin, Op: directory.OpNe, Value: t0},
			"(u.last_login_at IS NULL OR u.last_login_at <> $1)", []any{t0.UTC().Truncate(time.Microsecond)},
		},
		{
			"active is a test of status", SQLite,
			directory.Compare{Attr: directory.UserActive, Op: directory.OpNe, Value: false},
			"u.status = $1", []any{"active"},
		},
		{
			"Has is EXISTS over the child table", Postgres,
			directory.Has{Attr: directory.UserEmails, Where: directory.And{
				directory.Eq(directory.EmailType, "Work"), directory.Eq(directory.EmailPrimary, true),
			}},
			"EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id AND ((e.type_lower = $1) AND (e.is_primary = $2)))",
			[]any{"work", true},
		},
		{
			"group members", Postgres,
			directory.Or{directory.Eq(directory.GroupMembers, "u1"), directory.Eq(directory.GroupDisplayName, "Ops")},
			"(EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND (gm.user_id = $1))) OR (g.display_name_lower = $2)",
			[]any{"u1", "ops"},
		},
		{"empty and", SQLite, directory.And{}, "TRUE", nil},
		{"empty or", SQLite, directory.Or{}, "FALSE", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table := Users
			if tc.name == "group members" {
				table = Groups
			}
			var args Args
			got, err := tc.d.Where(table, tc.f, &args)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.sql {
				t.Errorf("SQL = %s\nwant  %s", got, tc.sql)
			}
			if diff := cmp.Diff(tc.args, []any(args)); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWhereOfNothing(t *testing.T) {
	var args Args
	got, err := Postgres.Where(Users, nil, &args)
	if got != "" || err != nil || len(args) != 0 {
		t.Errorf("Where(nil) = %q, %v, %v", got, err, args)
	}
}

// TestExactnessFollowsTheDomain keeps the column table in line with
// directory.CaseExactAttrs for top-level attributes.
func TestExactnessFollowsTheDomain(t *testing.T) {
	for _, s := range []*schema{&userSchema, &groupSchema} {
		for attr, col := range s.attrs {
			if col.kind != kindText {
				continue
			}
			if col.exact != directory.CaseExactAttrs[attr] {
				t.Errorf("%s: exact = %v, but directory.CaseExactAttrs says %v", attr, col.exact, directory.CaseExactAttrs[attr])
			}
			if col.exact && col.folded {
				t.Errorf("%s is both case-exact and folded", attr)
			}
		}
	}
}

func TestOrder(t *testing.T) {
	for _, tc := range []struct {
		sort directory.Sort
		by   string
	}{
		{directory.Sort{}, "u.id ASC"},
		{directory.Sort{Desc: true}, "u.id DESC"},
		{directory.Sort{Attr: directory.UserID, Desc: true}, "u.id DESC"},
		{directory.Sort{Attr: directory.UserUserName}, "u.user_name_lower ASC, u.id ASC"},
		// Empty text is a missing value: first when descending.
		{directory.Sort{Attr: directory.UserTitle, Desc: true}, "NULLIF(lower(u.title), '') DESC NULLS FIRST, u.id DESC"},
		{directory.Sort{Attr: directory.UserLastLogin}, "u.last_login_at ASC NULLS LAST, u.id ASC"},
		{directory.Sort{Attr: directory.UserLastLogin, Desc: true}, "u.last_login_at DESC NULLS FIRST, u.id DESC"},
	} {
		o, err := SQLite.Order(Users, tc.sort)
		if err != nil {
			t.Fatal(err)
		}
		if got := o.By(); got != tc.by {
			t.Errorf("Order(%+v).By() = %q, want %q", tc.sort, got, tc.by)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	for _, tc := range []struct {
		name string
		d    Dialect
		sort directory.Sort
		key  any // scanned sort key; nil for NULL
		cond string
		args []any
	}{
		{"by id", Postgres, directory.Sort{}, nil, "u.id > $1", []any{"id-1"}},
		{"by id, descending", Postgres, directory.Sort{Desc: true}, nil, "u.id < $1", []any{"id-1"}},
		{"by text", SQLite, directory.Sort{Attr: directory.UserDisplayName}, "ann",
			"((NULLIF(lower(u.display_name), ''), u.id) > ($1, $2) OR NULLIF(lower(u.display_name), '') IS NULL)", []any{"ann", "id-1"}},
		{"by text every user has", SQLite, directory.Sort{Attr: directory.UserUserName}, "ann",
			"(u.user_name_lower, u.id) > ($1, $2)", []any{"ann", "id-1"}},
		{"after an empty text, descending", Postgres, directory.Sort{Attr: directory.UserTitle, Desc: true}, nil,
			"((NULLIF(lower(u.title), '') IS NULL AND u.id < $1) OR NULLIF(lower(u.title), '') IS NOT NULL)", []any{"id-1"}},
		{"by time, ascending", Postgres, directory.Sort{Attr: directory.UserLastLogin}, t0,
			"((u.last_login_at, u.id) > ($1, $2) OR u.last_login_at IS NULL)", []any{t0, "id-1"}},
		{"by time, descending, in SQLite", SQLite, directory.Sort{Attr: directory.UserLastLogin, Desc: true}, "2025-01-02T03:04:05.000006Z",
			"(u.last_login_at, u.id) < ($1, $2)", []any{"2025-01-02T03:04:05.000006Z", "id-1"}},
		{"after a NULL, ascending", Postgres, directory.Sort{Attr: directory.UserLastLogin}, nil,
			"(u.last_login_at IS NULL AND u.id > $1)", []any{"id-1"}},
		{"after a NULL, descending", Postgres, directory.Sort{Attr: directory.UserLastLogin, Desc: true}, nil,
			"((u.last_login_at IS NULL AND u.id < $1) OR u.last_login_at IS NOT NULL)", []any{"id-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.d.Order(Users, tc.sort)
			if err != nil {
				t.Fatal(err)
			}
			k := o.Key()
			for _, dest := range k.Dest() {
				if err := dest.(*Key).Scan(tc.key); err != nil {
					t.Fatal(err)
				}
			}
			cursor := o.Cursor(k, "id-1")
			var args Args
			cond, err := o.After(cursor, &args)
			if err != nil {
				t.Fatal(err)
			}
			if cond != tc.cond {
				t.Errorf("After = %s\nwant    %s", cond, tc.cond)
			}
			if diff := cmp.Diff(tc.args, []any(args)); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimeEncoding(t *testing.T) {
	in := time.Date(2025, 6, 7, 8, 9, 10, 123456789, time.FixedZone("Y", -7200))
	want := time.Date(2025, 6, 7, 10, 9, 10, 123456000, time.UTC)
	for _, d := range []Dialect{Postgres, SQLite} {
		var got time.Time
		if err := ScanTime(&got).Scan(d.Time(in)); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: time round-trips as %v, want %v", d, got, want)
		}
		none := &got
		if err := ScanNullTime(&none).Scan(d.NullTime(nil)); err != nil || none != nil {
			t.Errorf("%s: NULL scans as %v, %v", d, none, err)
		}
	}
}

func FuzzAfter(f *testing.F) {
	o, _ := Postgres.Order(Users, directory.Sort{Attr: directory.UserLastLogin})
	k := o.Key()
	_ = k.Scan(time.Now())
	f.Add(o.Cursor(k, "id"))
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, cursor string) {
		var args Args
		cond, err := o.After(cursor, &args)
		if err != nil && !directory.IsCode(err, directory.CodeInvalid) {
			t.Fatalf("After(%q) error %v is not CodeInvalid", cursor, err)
		}
		if err == nil && cond == "" {
			t.Fatalf("After(%q) returned no condition", cursor)
		}
	})
}

// TestUserColumnsComeFromTheCatalogue pins the users' column table that the
// catalogue yields to the one written out by hand before it existed.
func TestUserColumnsComeFromTheCatalogue(t *testing.T) {
	want := map[directory.Attr]column{
		directory.UserID:             {expr: "u.id", exact: true},
		directory.UserExternalID:     {expr: "u.external_id", exact: true},
		directory.UserUserName:       {expr: "u.user_name_lower", folded: true, always: true, search: "user_name_lower"},
		directory.UserDisplayName:    {expr: "u.display_name"},
		directory.UserGivenName:      {expr: "u.given_name", search: "given_name", sortKeyed: true},
		directory.UserFamilyName:     {expr: "u.family_name", search: "family_name", sortKeyed: true},
		directory.UserEmail:          {expr: "u.email_lower", folded: true, search: "email_lower", sortKeyed: true},
		directory.UserTitle:          {expr: "u.title"},
		directory.UserPhone:          {expr: "u.phone"},
		directory.UserActive:         {expr: "u.status", kind: kindActive},
		directory.UserStatus:         {expr: "u.status", folded: true, always: true},
		directory.UserRole:           {expr: "u.role", folded: true, always: true},
		directory.UserSource:         {expr: "u.source", folded: true, always: true},
		directory.UserSourceRef:      {expr: "u.source_ref", exact: true},
		directory.UserAuthMethod:     {expr: "u.auth_method", folded: true, always: true},
		directory.UserEmployeeNumber: {expr: "u.employee_number"},
		directory.UserCostCenter:     {expr: "u.cost_center"},
		directory.UserOrganization:   {expr: "u.organization"},
		directory.UserDivision:       {expr: "u.division"},
		directory.UserDepartment:     {expr: "u.department"},
		directory.UserManager:        {expr: "u.manager_id", exact: true},
		directory.UserCreated:        {expr: "u.created_at", kind: kindTime},
		directory.UserLastModified:   {expr: "u.updated_at", kind: kindTime},
		directory.UserLastLogin:      {expr: "u.last_login_at", kind: kindTime, null: true},
	}
	got := userSchema.attrs
	for attr, w := range want {
		if g, ok := got[attr]; !ok || g != w {
			t.Errorf("%s: got %+v (found %v), want %+v", attr, g, ok, w)
		}
	}
	for attr := range got {
		if _, ok := want[attr]; !ok {
			a, _ := directory.UserAttribute(attr)
			if a == nil || a.Column == "" {
				t.Errorf("%s is mapped but the catalogue gives it no column", attr)
			}
		}
	}
}

// pgSearchText is the expression of PostgreSQL's users search index
// (migration 0150) over the alias u.
const pgSearchText = `(lower(u.given_name) || ' ' || lower(u.family_name) || ' ' || u.email_lower || ' ' || u.user_name_lower)`
