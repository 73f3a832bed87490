package importer

import (
	"io"
	"strconv"

	"github.com/roster/roster/internal/directory"
)

// ReportRow is the outcome of one row of a commit.
type ReportRow struct {
	Row      int
	UserName string
	// Result is created, updated, unchanged or failed.
	Result  directory.ImportAction
	UserID  string
	Message string
}

var reportHeader = []string{"row", "userName", "result", "userId", "message"}

// Report writes a commit's result report, one line per data row, as CSV or
// XLSX, while the commit runs.
type Report struct {
	sw sheetWriter
}

// NewReport starts a report on w.
func NewReport(w io.Writer, format Format) (*Report, error) {
	sw, err := newSheetWriter(w, format, "Result", reportHeader)
	if err != nil {
		return nil, err
	}
	return &Report{sw: sw}, nil
}

// Add writes one row.
func (r *Report) Add(row ReportRow) error {
	return r.sw.write([]string{strconv.Itoa(row.Row), row.UserName, string(row.Result), row.UserID, row.Message})
}

// Close finishes the file.
func (r *Report) Close() error { return r.sw.close() }
