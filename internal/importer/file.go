package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// Format is a spreadsheet file format.
type Format string

// Formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat reads a format name as given in a URL or on the command line.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), ".")) {
	case "csv":
		return CSV, nil
	case "xlsx":
		return XLSX, nil
	}
	return "", directory.FieldErrorf(directory.CodeInvalid, "format", "format %q is not csv or xlsx", s)
}

// ContentType is the media type of files of the format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// File is a spreadsheet on disk, ready to be read row by row as many times
// as needed. Its format comes from its content, not its name.
type File struct {
	path   string
	size   int64
	format Format
	limits Limits
	tmpDir string
	owned  bool // a spooled copy, removed by Close
}

var (
	zipMagic = []byte("PK\x03\x04")
	// oleMagic starts legacy .xls files and password-protected workbooks.
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Spool copies an upload into a temporary file in tmpDir ("" for the
// system's), refusing it as soon as it exceeds the size limit. name is the
// file name the client gave, used only to word errors. Close removes the
// copy.
func Spool(r io.Reader, name string, lim Limits, tmpDir string) (*File, error) {
	tmp, err := os.CreateTemp(tmpDir, "roster-import-*")
	if err != nil {
		return nil, directory.Internal(fmt.Errorf("importer: spool: %w", err))
	}
	f := &File{path: tmp.Name(), limits: lim, tmpDir: tmpDir, owned: true}
	n, err := io.Copy(tmp, io.LimitReader(r, lim.MaxFileBytes+1))
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &maxBytes):
		err = tooLarge("the upload is larger than %s", byteSize(maxBytes.Limit))
	case err != nil:
		err = &directory.Error{Code: directory.CodeInvalid, Message: "the upload could not be read", Err: err}
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = directory.Internal(cerr)
	}
	if err == nil && n > lim.MaxFileBytes {
		err = tooLarge("the file is larger than %s", byteSize(lim.MaxFileBytes))
	}
	if err == nil {
		f.size = n
		f.format, err = detectFormat(f.path, name)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// OpenPath opens a file already on disk (the command line's --file) in
// place.
func OpenPath(path string, lim Limits, tmpDir string) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, directory.Errorf(directory.CodeInvalid, "cannot open %s: %v", path, errors.Unwrap(err))
	}
	if !st.Mode().IsRegular() {
		return nil, fileError("%s is not a regular file", path)
	}
	if st.Size() > lim.MaxFileBytes {
		return nil, tooLarge("the file is larger than %s", byteSize(lim.MaxFileBytes))
	}
	format, err := detectFormat(path, path)
	if err != nil {
		return nil, err
	}
	return &File{path: path, size: st.Size(), format: format, limits: lim, tmpDir: tmpDir}, nil
}

// Format is the file's format, as its content shows.
func (f *File) Format() Format { return f.format }

// Size is the file's size in bytes.
func (f *File) Size() int64 { return f.size }

// Close removes a spooled copy; it leaves a file opened in place alone.
func (f *File) Close() error {
	if !f.owned || f.path == "" {
		return nil
	}
	err := os.Remove(f.path) //nolint:gosec // G703: our own temporary file
	f.path = ""
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// rowReader yields a file's rows, the header first. Cells are trimmed of
// nothing and may be fewer than the header's columns. The cells slice is
// reused by the next call.
type rowReader interface {
	// next returns the row's number as the admin's spreadsheet shows it,
	// and io.EOF after the last row.
	next() (line int, cells []string, err error)
	close() error
}

func (f *File) open() (rowReader, error) {
	if f.format == XLSX {
		return openXLSX(f.path, f.size, f.limits, f.tmpDir)
	}
	return openCSV(f.path, f.limits)
}

// detectFormat tells CSV from XLSX by the first bytes, and refuses what is
// neither with a message that says what to do.
func detectFormat(path, name string) (Format, error) {
	fh, err := os.Open(path) //nolint:gosec // G304: the spooled upload or the operator's --file
	if err != nil {
		return "", directory.Internal(err)
	}
	defer fh.Close()
	head := make([]byte, len(oleMagic))
	n, err := io.ReadFull(fh, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", directory.Internal(err)
	}
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case n == 0:
		return "", fileError("the file is empty")
	case bytes.HasPrefix(head, zipMagic):
		return XLSX, nil
	case bytes.Equal(head, oleMagic) || ext == ".xls":
		return "", fileError("legacy .xls files and password-protected workbooks cannot be read; save the sheet as .xlsx without a password, or as CSV UTF-8")
	case ext == ".xlsx" || ext == ".xlsm":
		return "", fileError("the file is named %s but is not an Excel workbook", ext)
	case ext == ".ods" || ext == ".numbers":
		return "", fileError("%s files cannot be read; save the sheet as .xlsx or CSV UTF-8", ext)
	}
	return CSV, nil
}
