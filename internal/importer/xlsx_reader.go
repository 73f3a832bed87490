package importer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/roster/roster/internal/directory"
	"github.com/xuri/excelize/v2"
)

// xlsxRows streams the first worksheet of a workbook (or the one named
// "Users") with excelize's row iterator. Cells are read raw: numbers as
// stored rather than as displayed, dates as serial numbers (see
// parseDate), booleans as 1 and 0; formula cells yield their cached value
// and are never evaluated.
type xlsxRows struct {
	book   *excelize.File
	rows   *excelize.Rows
	line   int
	limits Limits
}

// inMemoryLimit is the size above which excelize spills a worksheet or the
// shared string table to a temporary file instead of memory.
const inMemoryLimit = 8 << 20

func openXLSX(path string, size int64, lim Limits, tmpDir string) (*xlsxRows, error) {
	if err := checkZipFile(path, size, lim); err != nil {
		return nil, err
	}
	book, err := excelize.OpenFile(path, excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    lim.MaxUnzippedBytes,
		UnzipXMLSizeLimit: min(inMemoryLimit, lim.MaxUnzippedBytes),
		TmpDir:            tmpDir,
	})
	if err != nil {
		if book != nil {
			_ = book.Close()
		}
		return nil, unreadableWorkbook(err)
	}
	sheets := book.GetSheetList()
	if len(sheets) == 0 {
		_ = book.Close()
		return nil, fileError("the workbook has no worksheet")
	}
	sheet := sheets[0]
	for _, s := range sheets {
		if strings.EqualFold(s, templateSheet) {
			sheet = s
		}
	}
	rows, err := book.Rows(sheet)
	if err != nil {
		_ = book.Close()
		return nil, unreadableWorkbook(err)
	}
	return &xlsxRows{book: book, rows: rows, limits: lim}, nil
}

func unreadableWorkbook(err error) error {
	return &directory.Error{Code: directory.CodeInvalid, Message: "the workbook cannot be read; open it in Excel and save it again as .xlsx", Err: err}
}

// checkZipFile inspects the zip directory before anything is inflated:
// entry count, the sizes entries declare, and how much each claims to grow.
// It then inflates every entry once into nothing, which archive/zip stops
// at the declared size and checks against the entry's checksum: excelize
// ignores those errors and would read a truncated sheet as a shorter one.
func checkZipFile(path string, size int64, lim Limits) error {
	fh, err := os.Open(path) //nolint:gosec // G304: the spooled upload or the operator's --file
	if err != nil {
		return directory.Internal(err)
	}
	defer fh.Close()
	zr, err := zip.NewReader(fh, size)
	if err != nil {
		return &directory.Error{Code: directory.CodeInvalid, Message: "the file is not a valid .xlsx workbook (its zip structure is damaged)", Err: err}
	}
	if err := checkZip(zr, lim); err != nil {
		return err
	}
	return verifyEntries(zr)
}

func verifyEntries(zr *zip.Reader) error {
	for _, e := range zr.File {
		rc, err := e.Open()
		if err == nil {
			// Reading to the end makes archive/zip check the checksum;
			// it fails past the declared size, and CopyN says so too.
			_, err = io.CopyN(io.Discard, rc, sizeArg(e.UncompressedSize64)+1)
			if errors.Is(err, io.EOF) {
				err = nil
			}
			if cerr := rc.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return &directory.Error{Code: directory.CodeInvalid, Message: fmt.Sprintf("the workbook cannot be read: its part %q is damaged", e.Name), Err: err}
		}
	}
	return nil
}

func checkZip(zr *zip.Reader, lim Limits) error {
	if len(zr.File) > lim.MaxZipEntries {
		return tooLarge("the workbook has more than %d parts", lim.MaxZipEntries)
	}
	var total uint64
	workbook := false
	for _, e := range zr.File {
		name := strings.ToLower(strings.ReplaceAll(e.Name, `\`, "/"))
		switch name {
		case "xl/workbook.xml":
			workbook = true
		case "mimetype":
			return fileError("OpenDocument spreadsheets cannot be read; save the sheet as .xlsx or CSV UTF-8")
		}
		declared := e.UncompressedSize64
		total += declared
		if total > sizeLimit(lim.MaxUnzippedBytes) {
			return tooLarge("the workbook declares more than %s of uncompressed data", byteSize(lim.MaxUnzippedBytes))
		}
		if declared > 1<<20 && (e.CompressedSize64 == 0 || declared/e.CompressedSize64 > sizeLimit(lim.MaxCompressionRatio)) {
			return fileError("the workbook is refused: its part %q claims to inflate more than %d times (a zip bomb?)", e.Name, lim.MaxCompressionRatio)
		}
		if !spillablePart(name) && declared > sizeLimit(lim.MaxPartBytes) {
			return tooLarge("the workbook part %q is larger than %s", e.Name, byteSize(lim.MaxPartBytes))
		}
	}
	if !workbook {
		return fileError("the file is a zip archive but not an Excel workbook")
	}
	return nil
}

// spillablePart reports whether excelize spills the part to a temporary file
// when it is large, rather than holding it in memory.
func spillablePart(name string) bool {
	return name == "xl/sharedstrings.xml" || strings.HasPrefix(name, "xl/worksheets/sheet")
}

func (x *xlsxRows) next() (int, []string, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			if errors.Is(err, excelize.ErrMaxRows) {
				return 0, nil, tooLarge("the file has more than %d rows", x.limits.MaxRows)
			}
			return 0, nil, unreadableWorkbook(err)
		}
		return 0, nil, io.EOF
	}
	x.line++
	if x.line > x.limits.MaxRows+1 {
		return 0, nil, tooLarge("the file has more than %d rows", x.limits.MaxRows)
	}
	cells, err := x.rows.Columns()
	if err != nil {
		return 0, nil, unreadableWorkbook(err)
	}
	if len(cells) > x.limits.MaxColumns {
		return 0, nil, tooLarge("row %d has more than %d columns", x.line, x.limits.MaxColumns)
	}
	for _, c := range cells {
		if len(c) > x.limits.MaxCellBytes {
			return 0, nil, tooLarge("row %d has a cell larger than %s", x.line, byteSize(int64(x.limits.MaxCellBytes)))
		}
		if !utf8.ValidString(c) {
			return 0, nil, fileError("row %d holds text that is not valid UTF-8", x.line)
		}
	}
	return x.line, cells, nil
}

func (x *xlsxRows) close() error {
	err := x.rows.Close()
	if cerr := x.book.Close(); err == nil {
		err = cerr
	}
	return err
}

// sizeLimit is a limit as the zip directory's unsigned sizes count; a
// negative limit allows nothing.
func sizeLimit(n int64) uint64 {
	if n < 0 {
		return 0
	}
	return uint64(n)
}

// sizeArg is a declared size as io.CopyN counts, capped at the largest.
func sizeArg(n uint64) int64 {
	if n >= math.MaxInt64 {
		return math.MaxInt64 - 1
	}
	return int64(n)
}
