package sqlbuild

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/roster/roster/internal/directory"
)

// Order sorts a listing by one attribute, breaking ties by id, and pages
// through it by keyset: a cursor holds the sort key and id of the last row
// returned, and the next page starts after them.
//
// Missing values come last in ascending order and first in descending
// order (RFC 7644 §3.4.2.3), so that one order is the exact reverse of the
// other, on every dialect. A missing value is NULL (times that have not
// happened yet: lastLoginAt) or, for text, the empty string that columns
// hold for "no value": SCIM shows neither, so both sort as missing.
type Order struct {
	d    Dialect
	attr directory.Attr
	desc bool
	id   string
	// key is the sort key expression, "" when sorting by id alone.
	key  string
	kind kind
	null bool
}

// Order returns the order for s over t. An attribute that cannot be sorted
// on is CodeInvalid with Field "sortBy".
func (d Dialect) Order(t Table, s directory.Sort) (*Order, error) {
	sc := t.schema()
	o := &Order{d: d, attr: s.Attr, desc: s.Desc, id: sc.id}
	if s.Attr == "" {
		return o, nil
	}
	col, ok := sc.attrs[s.Attr]
	if !ok || col.kind == kindBool || col.kind == kindActive {
		return nil, directory.FieldErrorf(directory.CodeInvalid, "sortBy", "cannot sort by %q", s.Attr)
	}
	if col.expr == sc.id {
		return o, nil
	}
	o.key, o.kind, o.null = col.expr, col.kind, col.null
	if col.kind == kindText && !col.exact && !col.folded {
		o.key = "lower(" + col.expr + ")"
	}
	if col.kind == kindText && !col.always {
		o.key, o.null = emptyAsNull(o.key), true
	}
	return o, nil
}

// emptyAsNull is the sort key of text that may be empty: an empty value
// is NULL, which sorts as missing. The users' indexes on names and email
// (migration 0165) are on this expression, which filters then use too.
func emptyAsNull(expr string) string { return "NULLIF(" + expr + ", '')" }

// Select returns what to append to the select list so that the sort key of
// each row can be scanned into a Key: ", key" or "".
func (o *Order) Select() string {
	if o.key == "" {
		return ""
	}
	return ", " + o.key
}

// By returns the ORDER BY list.
func (o *Order) By() string {
	dir := " ASC"
	if o.desc {
		dir = " DESC"
	}
	if o.key == "" {
		return o.id + dir
	}
	nulls := ""
	if o.null {
		nulls = " NULLS LAST"
		if o.desc {
			nulls = " NULLS FIRST"
		}
	}
	return o.key + dir + nulls + ", " + o.id + dir
}

// Key returns a scan destination for the column Select adds: append
// Key().Dest() to a row's destinations.
func (o *Order) Key() *Key { return &Key{kind: o.kind, used: o.key != ""} }

// Key holds the sort key of a scanned row.
type Key struct {
	kind kind
	used bool
	null bool
	text string
	time time.Time
}

// Dest returns the scan destinations for the sort key: none when the order
// is by id alone.
func (k *Key) Dest() []any {
	if !k.used {
		return nil
	}
	return []any{k}
}

// Scan implements sql.Scanner.
func (k *Key) Scan(src any) error {
	k.null = src == nil
	if k.null {
		return nil
	}
	if k.kind == kindTime {
		t, _, err := parseTime(src)
		k.time = t
		return err
	}
	switch v := src.(type) {
	case string:
		k.text = v
	case []byte:
		k.text = string(v)
	default:
		return fmt.Errorf("sqlbuild: cannot scan %T into a text sort key", src)
	}
	return nil
}

// cursor is what a page's Next encodes: the order it belongs to and the last
// row's sort key and id.
type cursor struct {
	Sort  directory.Attr `json:"s,omitempty"`
	Desc  bool           `json:"d,omitempty"`
	Null  bool           `json:"n,omitempty"`
	Value string         `json:"v,omitempty"`
	ID    string         `json:"id"`
}

// Cursor returns the opaque cursor of the page that follows the row with
// sort key k and id.
func (o *Order) Cursor(k *Key, id string) string {
	c := cursor{Sort: o.attr, Desc: o.desc, ID: id}
	if o.key != "" {
		c.Null = k.null
		if !k.null {
			c.Value = k.text
			if k.kind == kindTime {
				c.Value = k.time.Format(time.RFC3339Nano)
			}
		}
	}
	b, _ := json.Marshal(c) // strings and bools always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

func invalidCursor(format string, a ...any) error {
	return directory.FieldErrorf(directory.CodeInvalid, "cursor", format, a...)
}

// After returns the condition selecting the rows after cursor s, adding its
// values to args. A cursor that does not decode, or that belongs to another
// order, is CodeInvalid with Field "cursor".
func (o *Order) After(s string, args *Args) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return "", invalidCursor("the cursor is not valid")
	}
	if c.Sort != o.attr || c.Desc != o.desc {
		return "", invalidCursor("the cursor belongs to another sort order")
	}
	cmp := " > "
	if o.desc {
		cmp = " < "
	}
	if o.key == "" {
		return o.id + cmp + args.Add(c.ID), nil
	}
	if c.Null {
		if !o.null {
			return "", invalidCursor("the cursor is not valid")
		}
		id := args.Add(c.ID)
		if o.desc {
			// NULLs come first; after them come all the others.
			return "((" + o.key + " IS NULL AND " + o.id + cmp + id + ") OR " + o.key + " IS NOT NULL)", nil
		}
		return "(" + o.key + " IS NULL AND " + o.id + cmp + id + ")", nil
	}
	var v any = c.Value
	if o.kind == kindTime {
		t, err := time.Parse(time.RFC3339Nano, c.Value)
		if err != nil {
			return "", invalidCursor("the cursor is not valid")
		}
		v = o.d.Time(t)
	}
	cond := "(" + o.key + ", " + o.id + ")" + cmp + "(" + args.Add(v) + ", " + args.Add(c.ID) + ")"
	if o.null && !o.desc {
		// NULLs come last, after every value.
		cond = "(" + cond + " OR " + o.key + " IS NULL)"
	}
	return cond, nil
}
