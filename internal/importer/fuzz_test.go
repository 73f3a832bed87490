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
