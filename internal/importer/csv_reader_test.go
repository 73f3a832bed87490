package importer

import (
	"bytes"
	"crypto/rand"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roster/roster/internal/directory"
)

func TestCSVReading(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want [][]string
	}{
		{"a UTF-8 byte order mark is dropped", "\xEF\xBB\xBFuserName,givenName\r\na@acme.com,Ann\r\n",
			[][]string{{"userName", "givenName"}, {"a@acme.com", "Ann"}}},
		{"semicolons from European Excel are read as separators", "userName;givenName\na@acme.com;\"Ann; Jr\"\n",
			[][]string{{"userName", "givenName"}, {"a@acme.com", "Ann; Jr"}}},
		{"tabs are read as separators", "userName\tgivenName\na@acme.com\tAnn\n",
			[][]string{{"userName", "givenName"}, {"a@acme.com", "Ann"}}},
		{"a comma inside quotes does not decide the separator", "\"a,b,c\";userName\nx;y\n",
			[][]string{{"a,b,c", "userName"}, {"x", "y"}}},
		{"quoted line breaks stay in their cell", "userName,title\na@acme.com,\"two\nlines\"\n",
			[][]string{{"userName", "title"}, {"a@acme.com", "two\nlines"}}},
		{"a formula is just text", "userName,givenName\na@acme.com,=cmd|' /C calc'!A0\n",
			[][]string{{"userName", "givenName"}, {"a@acme.com", "=cmd|' /C calc'!A0"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAll(t, spoolBytes(t, []byte(c.in), "u.csv", DefaultLimits()))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Fatalf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHostileCSV(t *testing.T) {
	small := DefaultLimits()
	small.MaxRows, small.MaxRowBytes, small.MaxCellBytes, small.MaxColumns = 3, 64<<10, 1000, 10
	cases := []struct {
		name  string
		in    []byte
		lim   Limits
		code  directory.Code
		wants string
	}{
		{"UTF-16 from Excel's Unicode Text is refused", append([]byte{0xFF, 0xFE}, []byte("u\x00s\x00")...), small, directory.CodeInvalid, "UTF-16"},
		{"a binary file is refused", []byte("userName\n\x00\x01\x02"), small, directory.CodeInvalid, "NUL"},
		{"Windows-1252 text is refused with its row", []byte("userName,givenName\na@acme.com,Ren\xe9\n"), small, directory.CodeInvalid, "row 2 is not UTF-8"},
		{"a stray quote is refused with its line", []byte("userName\na@acme.com\nb\"c@acme.com\n"), small, directory.CodeInvalid, "line 3"},
		{"an unterminated quote cannot swallow the file", append([]byte("userName\n\"a"), bytes.Repeat([]byte("x"), 200<<10)...), small, directory.CodeTooLarge, "quote left open"},
		{"too many rows are refused", []byte("userName\na@x.io\nb@x.io\nc@x.io\nd@x.io\n"), small, directory.CodeTooLarge, "more than 3 rows"},
		{"too many columns are refused", []byte(strings.Repeat("a,", 11) + "a\n"), small, directory.CodeTooLarge, "more than 10 columns"},
		{"a huge cell is refused", []byte("userName\n" + strings.Repeat("x", 1001) + "\n"), small, directory.CodeTooLarge, "larger than 1000 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Spool(bytes.NewReader(c.in), "users.csv", c.lim, t.TempDir())
			if err == nil {
				defer f.Close()
				_, err = readAll(t, f)
			}
			wantErr(t, err, c.code, c.wants)
		})
	}
}

func TestSpool(t *testing.T) {
	t.Run("50 MB of garbage is refused after the limit, without reading it all", func(t *testing.T) {
		garbage := &countingReader{r: io.LimitReader(rand.Reader, 50<<20)}
		_, err := Spool(garbage, "users.csv", DefaultLimits(), t.TempDir())
		wantErr(t, err, directory.CodeTooLarge, "larger than 32 MiB")
		if garbage.n > 32<<20+32<<10 {
			t.Fatalf("read %d bytes", garbage.n)
		}
	})
	t.Run("an empty file is refused", func(t *testing.T) {
		_, err := Spool(strings.NewReader(""), "users.csv", DefaultLimits(), t.TempDir())
		wantErr(t, err, directory.CodeInvalid, "empty")
	})
	t.Run("a legacy .xls is refused with what to do", func(t *testing.T) {
		_, err := Spool(bytes.NewReader(append(oleMagic, 0, 0)), "users.xls", DefaultLimits(), t.TempDir())
		wantErr(t, err, directory.CodeInvalid, "save the sheet as .xlsx")
	})
	t.Run("a text file named .xlsx is refused", func(t *testing.T) {
		_, err := Spool(strings.NewReader("userName\n"), "users.xlsx", DefaultLimits(), t.TempDir())
		wantErr(t, err, directory.CodeInvalid, "not an Excel workbook")
	})
	t.Run("the spooled copy is removed on close", func(t *testing.T) {
		dir := t.TempDir()
		f, err := Spool(strings.NewReader("userName\n"), "users.csv", DefaultLimits(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if left, _ := filepathGlob(dir); len(left) != 0 {
			t.Fatalf("left behind: %v", left)
		}
	})
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
