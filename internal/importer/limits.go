package importer

import (
	"fmt"

	"github.com/roster/roster/internal/directory"
)

// Limits bound what reading one file may cost. A file over a limit is
// refused with an error naming the limit; nothing is written.
type Limits struct {
	// MaxFileBytes bounds the file as uploaded.
	MaxFileBytes int64
	// MaxRows bounds the data rows (the header row excluded). In XLSX, rows
	// are counted by their row number, so that a sheet jumping to row
	// 1,000,000 is refused without walking a million empty rows.
	MaxRows int
	// MaxColumns bounds the columns of the header and of every row.
	MaxColumns int
	// MaxCellBytes bounds one cell.
	MaxCellBytes int
	// MaxRowBytes bounds one CSV record as read, so that an unterminated
	// quote cannot make the CSV reader buffer the rest of the file.
	MaxRowBytes int
	// MaxUnzippedBytes bounds the sum of the sizes an XLSX's zip directory
	// declares for its entries.
	MaxUnzippedBytes int64
	// MaxPartBytes bounds each XLSX entry other than worksheets and the
	// shared string table: the XLSX library holds those in memory, while
	// large worksheets and string tables go to temporary files.
	MaxPartBytes int64
	// MaxZipEntries bounds the number of entries in an XLSX.
	MaxZipEntries int
	// MaxCompressionRatio bounds how much an XLSX entry of more than 1 MiB
	// may claim to inflate (uncompressed / compressed). Spreadsheets
	// compress 5-30 times; zip bombs, thousands of times.
	MaxCompressionRatio int64
}

// DefaultLimits fit a 200,000-user organization with room to spare.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes:        32 << 20,
		MaxRows:             200_000,
		MaxColumns:          256,
		MaxCellBytes:        32 << 10,
		MaxRowBytes:         1 << 20,
		MaxUnzippedBytes:    512 << 20,
		MaxPartBytes:        16 << 20,
		MaxZipEntries:       1000,
		MaxCompressionRatio: 250,
	}
}

// fileError is a problem with the file as a whole: it stops reading.
func fileError(format string, args ...any) error {
	return directory.Errorf(directory.CodeInvalid, format, args...)
}

// tooLarge is a file over one of the limits.
func tooLarge(format string, args ...any) error {
	return directory.Errorf(directory.CodeTooLarge, format, args...)
}

// byteSize formats a byte count for messages.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
