package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/roster/roster/internal/directory"
)

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
)

// csvRows streams a CSV file. It accepts what spreadsheets write: an
// optional UTF-8 byte order mark, and commas, semicolons (European locales)
// or tabs as separators, picked from the header line.
type csvRows struct {
	fh     *os.File
	cr     *csv.Reader
	in     *recordLimiter
	limits Limits
	rows   int
	// lastLine is the line the last complete record started on.
	lastLine int
}

// errRowTooLarge stops the CSV reader inside a record that grew past the
// limit (typically an unterminated quote swallowing the rest of the file).
var errRowTooLarge = errors.New("row too large")

// recordLimiter sits between the file and the CSV reader and fails a read
// once the record in progress (the bytes since the last complete record)
// passes the limit. The CSV reader's own buffer adds at most 4 KiB.
type recordLimiter struct {
	r     io.Reader
	n     int64 // bytes handed to the CSV reader
	mark  int64 // input offset at the end of the last complete record
	limit int64
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.n-l.mark > l.limit {
		return 0, errRowTooLarge
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

func openCSV(path string, lim Limits) (*csvRows, error) {
	fh, err := os.Open(path) //nolint:gosec // G304: the spooled upload or the operator's --file
	if err != nil {
		return nil, directory.Internal(err)
	}
	br := bufio.NewReaderSize(fh, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		fh.Close()
		return nil, directory.Internal(err)
	}
	if err := checkText(head); err != nil {
		fh.Close()
		return nil, err
	}
	sep := sniffSeparator(head)
	if bytes.HasPrefix(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	in := &recordLimiter{r: br, limit: int64(lim.MaxRowBytes)}
	cr := csv.NewReader(in)
	cr.Comma = sep
	cr.FieldsPerRecord = -1 // rows may be shorter or longer than the header; rows report it
	cr.ReuseRecord = true
	return &csvRows{fh: fh, cr: cr, in: in, limits: lim}, nil
}

// checkText refuses files that are not UTF-8 text from their first bytes,
// with the fix for the usual cause.
func checkText(head []byte) error {
	switch {
	case bytes.HasPrefix(head, utf16LEBOM) || bytes.HasPrefix(head, utf16BEBOM):
		return fileError("the file is UTF-16 text (Excel's \"Unicode Text\"); save it as CSV UTF-8")
	case bytes.IndexByte(head, 0) >= 0:
		return fileError("the file is not a CSV text file (it holds NUL bytes); upload a CSV UTF-8 or .xlsx file")
	}
	return nil
}

// sniffSeparator picks the separator that occurs most often, outside
// quotes, in the first line.
func sniffSeparator(head []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, b := range head {
		if b == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if b == '\n' {
			break
		}
		if b == ',' || b == ';' || b == '\t' {
			counts[b]++
		}
	}
	best := byte(',')
	for _, b := range []byte{';', '\t'} {
		if counts[b] > counts[best] {
			best = b
		}
	}
	return rune(best)
}

func (c *csvRows) next() (int, []string, error) {
	rec, err := c.cr.Read()
	if errors.Is(err, io.EOF) {
		return 0, nil, io.EOF
	}
	if err != nil {
		var perr *csv.ParseError
		switch {
		case errors.Is(err, errRowTooLarge):
			return 0, nil, tooLarge("the row after line %d is larger than %s (is a quote left open?)", c.lastLine, byteSize(int64(c.limits.MaxRowBytes)))
		case errors.As(err, &perr):
			return 0, nil, fileError("the file is not valid CSV at line %d: %v", perr.Line, perr.Err)
		}
		return 0, nil, directory.Internal(err)
	}
	line, _ := c.cr.FieldPos(0)
	c.lastLine = line
	c.in.mark = c.cr.InputOffset()
	c.rows++
	if c.rows > c.limits.MaxRows+1 {
		return 0, nil, tooLarge("the file has more than %d rows", c.limits.MaxRows)
	}
	if len(rec) > c.limits.MaxColumns {
		return 0, nil, tooLarge("row %d has more than %d columns", line, c.limits.MaxColumns)
	}
	for _, cell := range rec {
		if !utf8.ValidString(cell) {
			return 0, nil, fileError("row %d is not UTF-8 text; save the file as CSV UTF-8", line)
		}
		if strings.IndexByte(cell, 0) >= 0 {
			return 0, nil, fileError("row %d holds NUL bytes; the file is not a CSV text file", line)
		}
		if len(cell) > c.limits.MaxCellBytes {
			return 0, nil, tooLarge("row %d has a cell larger than %s", line, byteSize(int64(c.limits.MaxCellBytes)))
		}
	}
	return line, rec, nil
}

func (c *csvRows) close() error { return c.fh.Close() }
