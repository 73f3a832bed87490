package importer

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"

	"github.com/roster/roster/internal/directory"
)

// maxFileName bounds the file name a run records.
const maxFileName = 200

// CommitRecorded commits f as Commit does, recording the run under the
// base name of fileName, and returns the run's id. The run is recorded
// as running when the commit starts and becomes committed in the
// transaction that writes the users; a commit that fails leaves it
// failed, with nothing applied. Its report (a gzip-compressed CSV, a few
// MiB for 100,000 rows, built in memory) can be fetched later. A file
// with problems writes nothing and records no run.
func (im *Importer) CommitRecorded(ctx context.Context, actor directory.Actor, orgID, fileName string, f *File, opts CommitOptions) (*Summary, string, error) {
	name := filepath.Base(fileName)
	if len(name) > maxFileName || name == "." {
		name = ""
	}
	return im.commit(ctx, actor, orgID, name, f, opts, nil)
}

// RunSummary returns the summary of a recorded run.
func (im *Importer) RunSummary(ctx context.Context, orgID, id string) (*directory.ImportRun, *Summary, error) {
	run, err := im.dir.GetImportRun(ctx, orgID, id)
	if err != nil {
		return nil, nil, err
	}
	var sum Summary
	if err := json.Unmarshal(run.Summary, &sum); err != nil {
		return nil, nil, directory.Internal(err)
	}
	return run, &sum, nil
}

// WriteReport writes a recorded run's report as CSV or XLSX.
func WriteReport(w io.Writer, run *directory.ImportRun, format Format) error {
	if run.Status != directory.ImportCommitted || len(run.Report) == 0 {
		return directory.Errorf(directory.CodeNotFound, "the import is %s: it has no report", run.Status)
	}
	zr, err := gzip.NewReader(bytes.NewReader(run.Report))
	if err != nil {
		return directory.Internal(err)
	}
	defer zr.Close()
	if format != XLSX {
		_, err := io.Copy(w, zr) //nolint:gosec // G110: our own report, compressed by CommitRecorded
		return err
	}
	cr := csv.NewReader(zr)
	cr.ReuseRecord = true
	var sw sheetWriter
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if sw != nil {
				sw.abort()
			}
			return directory.Internal(err)
		}
		// The CSV's cells are neutralized already; the sheet writer
		// neutralizes again.
		for i, c := range rec {
			rec[i] = unneutralize(c)
		}
		if first {
			rec[0] = string(bytes.TrimPrefix([]byte(rec[0]), utf8BOM))
			if sw, err = newSheetWriter(w, XLSX, "Result", rec); err != nil {
				return err
			}
			continue
		}
		if err := sw.write(rec); err != nil {
			sw.abort()
			return err
		}
	}
	if sw == nil {
		return directory.Internal(errors.New("importer: empty report"))
	}
	return sw.close()
}
