package importer

import (
	"archive/zip"
	"encoding/csv"
	"io"

	"github.com/roster/roster/internal/directory"
	"github.com/xuri/excelize/v2"
)

// sheetWriter writes rows of text to a CSV or XLSX file as they come, so
// that an export of a million users never sits in memory. Every cell is
// neutralized (see Neutralize).
type sheetWriter interface {
	write(cells []string) error
	// close finishes the file. Either close or abort must be called once.
	close() error
	// abort leaves the file unfinished, so that a reader sees that it is
	// truncated (an XLSX without its zip directory does not open), and
	// frees what writing held.
	abort()
}

func newSheetWriter(w io.Writer, format Format, sheet string, header []string) (sheetWriter, error) {
	var sw sheetWriter
	var err error
	if format == XLSX {
		sw, err = newXLSXSheet(w, sheet, header)
	} else {
		sw, err = newCSVSheet(w)
	}
	if err != nil {
		return nil, err
	}
	if format != XLSX {
		if err := sw.write(header); err != nil {
			return nil, err
		}
	}
	return sw, nil
}

// csvSheet writes CSV for spreadsheets: a UTF-8 byte order mark (without
// which Excel reads UTF-8 as the local code page) and CRLF line ends.
type csvSheet struct {
	w   *csv.Writer
	buf []string
}

func newCSVSheet(w io.Writer) (*csvSheet, error) {
	if _, err := w.Write(utf8BOM); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &csvSheet{w: cw}, nil
}

func (s *csvSheet) write(cells []string) error {
	s.buf = s.buf[:0]
	for _, c := range cells {
		s.buf = append(s.buf, Neutralize(c))
	}
	return s.w.Write(s.buf)
}

func (s *csvSheet) close() error {
	s.w.Flush()
	return s.w.Error()
}

func (s *csvSheet) abort() {}

// xlsxSheet streams one worksheet with excelize's StreamWriter (rows past
// a few MiB go to a temporary file) and writes the workbook straight to
// the output rather than through excelize's in-memory buffer.
type xlsxSheet struct {
	book *excelize.File
	sw   *excelize.StreamWriter
	out  io.Writer
	row  int
	buf  []any
}

func newXLSXSheet(out io.Writer, sheet string, header []string) (*xlsxSheet, error) {
	book := excelize.NewFile()
	s := &xlsxSheet{book: book, out: out}
	if err := s.start(sheet, header); err != nil {
		_ = book.Close()
		return nil, directory.Internal(err)
	}
	return s, nil
}

func (s *xlsxSheet) start(sheet string, header []string) error {
	if err := s.book.SetSheetName(s.book.GetSheetName(0), sheet); err != nil {
		return err
	}
	sw, err := s.book.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	s.sw = sw
	bold, err := s.book.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, max(len(header), 1), 20); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	s.row = 1
	return sw.SetRow("A1", cells)
}

func (s *xlsxSheet) write(cells []string) error {
	s.row++
	s.buf = s.buf[:0]
	for _, c := range cells {
		s.buf = append(s.buf, Neutralize(c))
	}
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return directory.Internal(err)
	}
	return s.sw.SetRow(cell, s.buf)
}

func (s *xlsxSheet) abort() { _ = s.book.Close() }

func (s *xlsxSheet) close() error {
	defer s.book.Close()
	if err := s.sw.Flush(); err != nil {
		return err
	}
	s.book.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(s.out) })
	_, err := s.book.WriteToBuffer()
	return err
}
