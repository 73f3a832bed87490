package importer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roster/roster/internal/directory"
	"github.com/xuri/excelize/v2"
)

// xlsxBytes builds a workbook whose first sheet holds rows; a cell value
// may be a string, a number, a bool or a *formula.
func xlsxBytes(t testing.TB, sheet string, rows ...[]any) []byte {
	t.Helper()
	book := excelize.NewFile()
	defer book.Close()
	if err := book.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			var err error
			if f, ok := v.(formula); ok {
				err = book.SetCellFormula(sheet, cell, string(f))
			} else {
				err = book.SetCellValue(sheet, cell, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := book.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type formula string

func TestXLSXReading(t *testing.T) {
	t.Run("cells come back as text, numbers raw, formulas never run", func(t *testing.T) {
		b := xlsxBytes(t, "Sheet1",
			[]any{"userName", "floor", "remote", "title"},
			[]any{"a@acme.com", 3, true, formula(`HYPERLINK("http://evil","x")`)},
		)
		got, err := readAll(t, spoolBytes(t, b, "u.xlsx", DefaultLimits()))
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{{"userName", "floor", "remote", "title"}, {"a@acme.com", "3", "1", ""}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("rows (-want +got):\n%s", diff)
		}
	})
	t.Run("the Users sheet is read when there are several", func(t *testing.T) {
		book := excelize.NewFile()
		defer book.Close()
		_ = book.SetCellValue("Sheet1", "A1", "notes")
		if _, err := book.NewSheet("Users"); err != nil {
			t.Fatal(err)
		}
		_ = book.SetCellValue("Users", "A1", "userName")
		var b bytes.Buffer
		_ = book.Write(&b)
		got, err := readAll(t, spoolBytes(t, b.Bytes(), "u.xlsx", DefaultLimits()))
		if err != nil || len(got) != 1 || got[0][0] != "userName" {
			t.Fatalf("got %v, %v", got, err)
		}
	})
}

// zipOf builds a zip archive by hand: each entry is written raw with the
// sizes given, which may lie.
type zipEntry struct {
	name         string
	data         []byte // stored deflated
	declaredSize uint64 // 0: the real size
}

func zipOf(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		var comp bytes.Buffer
		level := flate.BestSpeed
		if len(e.data) > 1<<20 {
			level = flate.BestCompression
		}
		fw, _ := flate.NewWriter(&comp, level)
		_, _ = fw.Write(e.data)
		_ = fw.Close()
		size := uint64(len(e.data))
		if e.declaredSize != 0 {
			size = e.declaredSize
		}
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: e.name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(e.data),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: size,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// validParts are the entries of a tiny valid workbook, from excelize.
func validParts(t testing.TB) []zipEntry {
	t.Helper()
	b := xlsxBytes(t, "Sheet1", []any{"userName"}, []any{"a@acme.com"})
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out []zipEntry
	for _, f := range zr.File {
		rc, _ := f.Open()
		var data bytes.Buffer
		_, _ = data.ReadFrom(rc)
		rc.Close()
		out = append(out, zipEntry{name: f.Name, data: data.Bytes()})
	}
	return out
}

func TestHostileXLSX(t *testing.T) {
	bomb := bytes.Repeat([]byte("<row/>"), 350_000) // 2 MiB that deflate to ~3 KiB
	valid := validParts(t)
	withSheet := func(e zipEntry) []zipEntry {
		var out []zipEntry
		for _, p := range valid {
			if p.name == "xl/worksheets/sheet1.xml" {
				p = e
			}
			out = append(out, p)
		}
		return out
	}
	small := DefaultLimits()
	small.MaxUnzippedBytes, small.MaxZipEntries = 1<<20, 10
	cases := []struct {
		name  string
		file  []byte
		lim   Limits
		code  directory.Code
		wants string
	}{
		{"a zip bomb is refused from its directory, before inflating",
			zipOf(t, withSheet(zipEntry{name: "xl/worksheets/sheet1.xml", data: bomb})...), DefaultLimits(), directory.CodeInvalid, "zip bomb"},
		{"a workbook declaring more than the limit is refused",
			zipOf(t, withSheet(zipEntry{name: "xl/worksheets/sheet1.xml", data: []byte("<worksheet/>"), declaredSize: 2 << 20})...), small, directory.CodeTooLarge, "more than 1 MiB"},
		{"an entry that inflates past its declared size is not read",
			zipOf(t, withSheet(zipEntry{name: "xl/worksheets/sheet1.xml", data: []byte(strings.Repeat("<row/>", 1000)), declaredSize: 100})...), DefaultLimits(), directory.CodeInvalid, "cannot be read"},
		{"a zip that is not a workbook is refused",
			zipOf(t, zipEntry{name: "hello.txt", data: []byte("hi")}), DefaultLimits(), directory.CodeInvalid, "not an Excel workbook"},
		{"an OpenDocument spreadsheet is refused with what to do",
			zipOf(t, zipEntry{name: "mimetype", data: []byte("application/vnd.oasis.opendocument.spreadsheet")}), DefaultLimits(), directory.CodeInvalid, "OpenDocument"},
		{"a truncated workbook is refused",
			xlsxBytes(t, "Sheet1", []any{"userName"})[:300], DefaultLimits(), directory.CodeInvalid, "damaged"},
		{"too many parts are refused",
			zipOf(t, manyEntries(11)...), small, directory.CodeTooLarge, "more than 10 parts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := spoolBytes(t, c.file, "users.xlsx", c.lim)
			_, err := readAll(t, f)
			wantErr(t, err, c.code, c.wants)
		})
	}
}

func manyEntries(n int) []zipEntry {
	out := make([]zipEntry, n)
	for i := range out {
		out[i] = zipEntry{name: "x/" + idFor(i), data: []byte("x")}
	}
	return out
}

func TestXLSXRowLimitCountsRowNumbers(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxRows = 10
	sheet := `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>userName</t></is></c></row>` +
		`<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>far@acme.com</t></is></c></row>` +
		`</sheetData></worksheet>`
	var parts []zipEntry
	for _, p := range validParts(t) {
		if p.name == "xl/worksheets/sheet1.xml" {
			p.data = []byte(sheet)
		}
		parts = append(parts, p)
	}
	_, err := readAll(t, spoolBytes(t, zipOf(t, parts...), "u.xlsx", lim))
	wantErr(t, err, directory.CodeTooLarge, "more than 10 rows")
}
