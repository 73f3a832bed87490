package importer

import (
	"bytes"
	"context"
	"testing"

	"github.com/roster/roster/internal/directory"
)

// FuzzPreviewCSV feeds arbitrary bytes to the whole preview: it must give
// a summary or a directory error, never panic or fail unexpectedly.
func FuzzPreviewCSV(f *testing.F) {
	f.Add([]byte("userName,badge,floor\na@acme.com,B1,3\n"))
	f.Add([]byte("\xEF\xBB\xBFuserName;started\r\n'=a@acme.com;2024-01-01\r\n"))
	f.Add([]byte("userName\n\"a\"\"b@acme.com\"\n,,,,\n"))
	f.Add([]byte("User Name,Remote worker\nb@acme.com,yes\nb@acme.com,no\n"))
	org := testOrg()
	lim := DefaultLimits()
	lim.MaxRows, lim.MaxRowBytes = 50, 4<<10
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Spool(bytes.NewReader(data), "fuzz.csv", lim, t.TempDir())
		if err != nil {
			return
		}
		defer file.Close()
		im := New(newFakeDirectory(org), nil, Config{Limits: lim}, nil)
		sum, err := im.Preview(context.Background(), org.ID, file, ModeUpsert)
		if err != nil {
			if c := directory.ErrorCode(err); c != directory.CodeInvalid && c != directory.CodeTooLarge {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if sum.Rows > lim.MaxRows || sum.ProblemCount < len(sum.Problems) {
			t.Fatalf("summary %+v", sum)
		}
	})
}

// FuzzPreviewXLSX is FuzzPreviewCSV for workbooks: a mutated workbook (or
// any zip, or anything at all) gives a summary or a directory error.
func FuzzPreviewXLSX(f *testing.F) {
	f.Add(xlsxBytes(f, "Users", []any{"userName", "badge", "floor", "started"}, []any{"a@acme.com", "B1", 3, "2024-01-01"}))
	f.Add(xlsxBytes(f, "Sheet1", []any{"User Name", "Remote worker"}, []any{"b@acme.com", true}, []any{"=1+1", formula("SUM(1,2)")}))
	f.Add(zipOf(f, validParts(f)...))
	f.Add([]byte("PK\x03\x04"))
	org := testOrg()
	lim := DefaultLimits()
	lim.MaxRows, lim.MaxRowBytes = 50, 4<<10
	// Small enough that a mutated workbook is read in milliseconds.
	lim.MaxFileBytes, lim.MaxUnzippedBytes, lim.MaxPartBytes, lim.MaxZipEntries = 64<<10, 1<<20, 512<<10, 64
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Spool(bytes.NewReader(data), "fuzz.xlsx", lim, t.TempDir())
		if err != nil {
			return
		}
		defer file.Close()
		im := New(newFakeDirectory(org), nil, Config{Limits: lim}, nil)
		sum, err := im.Preview(context.Background(), org.ID, file, ModeUpsert)
		if err != nil {
			if c := directory.ErrorCode(err); c != directory.CodeInvalid && c != directory.CodeTooLarge {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if sum.Rows > lim.MaxRows || sum.ProblemCount < len(sum.Problems) {
			t.Fatalf("summary %+v", sum)
		}
	})
}
